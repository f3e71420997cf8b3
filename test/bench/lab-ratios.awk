# lab-ratios.awk: the lab monitor rows of both agents (bench_test.go's
# PGREX_BENCH_LAB_REPORT format) → one table of upstream/pgrex ratios.
# Used by `make bench-lab`.
BEGIN { FS = "|" }
{
	agent = $2; mon = $3; wall = $4; cpu = $5
	gsub(/ |ms/, "", agent); gsub(/ /, "", mon); gsub(/ |ms/, "", wall); gsub(/ |ms/, "", cpu)
	if (agent == "ocf:heartbeat:pgsql") { uw[mon] = wall; uc[mon] = cpu }
	if (agent == "ocf:pgrex:pgsql") { pw[mon] = wall; pc[mon] = cpu; order[++n] = mon }
}
END {
	print "| monitor | upstream wall | pgrex wall | ratio wall | ratio CPU |"
	print "|---|---|---|---|---|"
	for (i = 1; i <= n; i++) {
		m = order[i]
		if (!(m in uw) || pw[m] <= 0 || pc[m] <= 0) continue
		printf "| %s | %.1f ms | %.1f ms | **%.1f×** | %.1f× |\n", m, uw[m], pw[m], uw[m] / pw[m], uc[m] / pc[m]
	}
}
