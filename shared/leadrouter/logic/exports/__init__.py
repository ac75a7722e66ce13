"""Lead exports: the rows and columns of the file, the xlsx and CSV writers, the background job."""
