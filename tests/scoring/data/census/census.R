# R's numbers for tests/scoring/test_census_design.py (run from this folder:
#   Rscript census.R > census-expected.json
# R 4.2.2, survey 4.1.1). Villages as strata when the wave surveyed every village of the
# township; villages as clusters where it sampled them.
suppressMessages(library(survey))
options(survey.lonely.psu = "adjust")
d <- read.csv("census.csv", check.names = FALSE, encoding = "UTF-8")
pop <- read.csv("census-population.csv", encoding = "UTF-8")
d$composite <- rowMeans(d[, grep("^dim:", names(d))])
d$w <- d$adults / ave(d$adults, d$org, FUN = length)
d$rake_sex <- paste(d$org, d$sex, sep = "|")
d$rake_age <- paste(d$org, d$age_group, sep = "|")
ps <- aggregate(adults ~ org + sex, pop, sum)
pa <- aggregate(adults ~ org + age_group, pop, sum)
margins <- list(
  data.frame(rake_sex = paste(ps$org, ps$sex, sep = "|"), Freq = ps$adults),
  data.frame(rake_age = paste(pa$org, pa$age_group, sep = "|"), Freq = pa$adults)
)
stratified <- svydesign(ids = ~1, strata = ~org, fpc = ~adults, weights = ~w, data = d)
raked <- rake(stratified, list(~rake_sex, ~rake_age), margins,
              control = list(maxit = 500, epsilon = 1e-9))
d$wr <- weights(raked)
clusters <- function(weights) {
  svydesign(ids = ~org, strata = ~township, weights = weights, data = d, nest = TRUE)
}
one <- function(design) {
  m <- svymean(~composite, design)
  sprintf('{"estimate": %.15g, "se": %.15g, "df": %d}', coef(m), SE(m), degf(design))
}
townships <- function(design, which) {
  parts <- sapply(which, function(t) sprintf('"%s": %s', t, one(subset(design, township == t))))
  paste0("{", paste(parts, collapse = ", "), "}")
}
# Stacked design: T1, T2 censuses of villages (villages strata, respondents PSUs, fpc adults);
# T3 sampled (township a stratum, villages PSUs, no fpc: N = 1e12).
sampled <- d$township == "T3"
d$stratum <- ifelse(sampled, paste0("t:", d$township), paste0("v:", d$org))
d$psu <- ifelse(sampled, paste0("v:", d$org), as.character(seq_len(nrow(d))))
d$fpc <- ifelse(sampled, 1e12, d$adults)
mixed <- svydesign(ids = ~psu, strata = ~stratum, fpc = ~fpc, weights = ~w, data = d)
cat("{\n")
cat(sprintf('"census_raked": {"townships": %s, "county": %s},\n',
            townships(raked, c("T1", "T2", "T3")), one(raked)))
cat(sprintf('"census_unraked": {"townships": %s, "county": %s},\n',
            townships(stratified, c("T1", "T2", "T3")), one(stratified)))
cat(sprintf('"t3_sampled_raked": {"townships": %s},\n', townships(clusters(~wr), "T3")))
cat(sprintf('"t3_sampled_unraked": {"townships": %s, "county": %s}\n',
            townships(clusters(~w), "T3"), one(mixed)))
cat("}\n")
