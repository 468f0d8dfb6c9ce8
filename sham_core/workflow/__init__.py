"""The workflow's configuration: the grid, config checks (``config``) and job resources (``resources``)."""
