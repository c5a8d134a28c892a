library(testthat)
library(pyvalues)
test_check("pyvalues")
