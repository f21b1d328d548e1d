"""CMI RGB-T tracker for the VOT toolkit (Xu et al., Sci China Inf Sci 2023)."""
