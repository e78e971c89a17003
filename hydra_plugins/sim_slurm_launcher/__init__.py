"""The SLURM launcher of the sweeps (hydra/launcher=slurm): see slurm_launcher.py."""
