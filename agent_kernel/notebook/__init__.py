"""The notebook front end (layer 1): what JupyterLab shows of the workbench.

`workbench` is the facade with notebook views, `display` renders a run as it streams and
its closing sections, `panel` is the ipywidgets panel, `magic` the `%%agent` cell magic,
`code_refs` the `start:end:path` references, `history_view` the PHR table, `kernelspec` and
`kernel_exit` the kernel the notebooks run on, `execution` runs notebooks with papermill.

May import: the facade and everything below it, and `terminal.console` (its text view).
"""
