# R's survey package on the benchmark file: the reference for both speed and numbers.
# Usage: Rscript bench/estimate.R bench/out/survey_1000000.csv   (prints one JSON object)
suppressPackageStartupMessages({
  library(survey)
  library(data.table)
  library(jsonlite)
})

path <- commandArgs(trailingOnly = TRUE)[1]
seconds <- function(expression) unname(system.time(expression)[["elapsed"]])

read_s <- seconds(data <- as.data.frame(fread(path)))
design_s <- seconds(
  design <- svydesign(ids = ~psu, strata = ~stratum, fpc = ~fpc, weights = ~w, data = data)
)
estimate_s <- seconds({
  overall <- svymean(~y, design)
  by_group <- svyby(~y, ~group, design, svymean)
})

cat(toJSON(list(
  r_version = R.version.string,
  survey_version = as.character(packageVersion("survey")),
  read_s = read_s,
  design_s = design_s,
  estimate_s = estimate_s,
  df = degf(design),
  overall = list(estimate = unname(coef(overall)), se = as.numeric(SE(overall))),
  groups = list(
    group = by_group$group,
    estimate = unname(coef(by_group)),
    se = as.numeric(SE(by_group))
  )
), auto_unbox = TRUE, digits = NA))
cat("\n")
