"""spaCy components of the safeguarding pipeline, one module each."""
