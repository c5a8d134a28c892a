/* Exact permutation p of the Brunner-Munzel test (R/brunnermunzel.R), compiled.
 *
 * pv_bm_perm_count: the number of splits of the pooled values into x (nx values) and y
 *   (ny values) whose permutation statistic is "at least as extreme" as the observed one,
 *   counted as .bm_permutation_internal() counts them in R: tied values collapse onto count
 *   vectors (how many members of each tie group go to x), each count vector weighted by
 *   prod(choose(size[g], count[g])). The count vectors are enumerated depth first; for each
 *   one the statistic is computed with the same floating-point operations in the same
 *   order as R's vectorised .bm_perm_statistic():
 *     mx = sum(count * rank) / nx                       (the sums are exact: half-integers)
 *     dev = ((rank - (below + (count + 1) * 0.5)) - mx) + (nx + 1) * 0.5
 *     sx = sum over groups of count * (dev * dev)        (rowSums: long double accumulator,
 *                                                         groups in increasing order)
 *     v  = c_x * sx + c_y * sy; v < vmin -> vfloor       (single-precision constants from R)
 *     statistic = (my - mx) / sqrt(v)
 *   and the comparison of bm_permutation_test.f: |t - ref| < tol or t >= ref, with t the
 *   statistic transformed for the alternative (two-sided: |s|, greater: -s, less: s).
 *   tests/testthat/test-brunnermunzel.R checks that this gives identical() p-values to the
 *   R code path (options(pyvalues.native = FALSE)) and reproduces brunnermunzel 2.0.
 *
 * Built into the same shared object as pyvalues_native.c by R/pvboot.R's .pv_native().
 */
#include <R.h>
#include <Rinternals.h>
#include <Rmath.h>
#include <math.h>

#if defined(__GNUC__) && !defined(__clang__)
/* R's arithmetic does each multiply and add separately; so must this */
#pragma GCC optimize ("fp-contract=off")
#endif

typedef struct {
    int n_groups, alt;
    double nx, ny, cx, cy;           /* group sizes as doubles; (n + 1) * 0.5 */
    const int *sizes;
    const double *rank;              /* pooled mid-rank of each tie group */
    const int *suffix;               /* members in tie groups g.. (for pruning) */
    double const_x, const_y, vmin, vfloor, reference, tol;
    int *count;                      /* x-members per tie group of the split at hand */
    double *choose_row;              /* choose(size[g], k) at choose_off[g] + k */
    const int *choose_off;
    double n_extreme;
} bm_perm;

static double bm_statistic(const bm_perm *s)
{
    const int G = s->n_groups;
    double sum_x = 0., sum_y = 0.;
    for (int g = 0; g < G; g++) {
        double cg = s->count[g], yg = s->sizes[g] - s->count[g];
        sum_x += cg * s->rank[g];
        sum_y += yg * s->rank[g];
    }
    double mx = sum_x / s->nx, my = sum_y / s->ny;
    long double ssx = 0., ssy = 0.;
    double below_x = 0., below_y = 0.;
    for (int g = 0; g < G; g++) {
        double cg = s->count[g], yg = s->sizes[g] - s->count[g];
        double dx = ((s->rank[g] - (below_x + (cg + 1) * 0.5)) - mx) + s->cx;
        double dy = ((s->rank[g] - (below_y + (yg + 1) * 0.5)) - my) + s->cy;
        double tx = cg * (dx * dx), ty = yg * (dy * dy);
        ssx += tx;
        ssy += ty;
        below_x += cg;
        below_y += yg;
    }
    double sx = (double) ssx, sy = (double) ssy;
    double ax = s->const_x * sx, ay = s->const_y * sy;
    double v = ax + ay;
    if (v < s->vmin) v = s->vfloor;
    double diff = my - mx, root = sqrt(v);
    return diff / root;
}

static double bm_transform(const bm_perm *s, double stat)
{
    return s->alt == 0 ? fabs(stat) : (s->alt == 1 ? -stat : stat);
}

static void bm_walk(bm_perm *s, int g, int left, double weight)
{
    if (g == s->n_groups) {
        if (left == 0) {
            double t = bm_transform(s, bm_statistic(s));
            if (fabs(t - s->reference) < s->tol || t >= s->reference) s->n_extreme += weight;
        }
        return;
    }
    int later = (g + 1 < s->n_groups) ? s->suffix[g + 1] : 0;
    int lo = left - later > 0 ? left - later : 0;
    int hi = s->sizes[g] < left ? s->sizes[g] : left;
    const double *ch = s->choose_row + s->choose_off[g];
    for (int k = lo; k <= hi; k++) {
        s->count[g] = k;
        bm_walk(s, g + 1, left - k, weight * ch[k]);
    }
    s->count[g] = 0;
}

/* sizes: tie-group sizes (values in increasing order); rank: their pooled mid-ranks;
 * observed: the observed split's count vector; consts: c(c_x, c_y, vmin, vfloor, tol);
 * alt: 0 two-sided, 1 greater, 2 less. Returns c(n_extreme, observed statistic). */
SEXP pv_bm_perm_count(SEXP ssizes, SEXP srank, SEXP sobserved, SEXP snx, SEXP sny, SEXP sconsts,
                      SEXP salt)
{
    int G = length(ssizes);
    if (G < 1 || length(srank) != G || length(sobserved) != G || length(sconsts) != 5)
        error("pv_bm_perm_count: inconsistent arguments");
    ssizes = PROTECT(coerceVector(ssizes, INTSXP));
    srank = PROTECT(coerceVector(srank, REALSXP));
    sobserved = PROTECT(coerceVector(sobserved, INTSXP));
    sconsts = PROTECT(coerceVector(sconsts, REALSXP));
    const double *consts = REAL(sconsts);
    bm_perm s;
    int nx = asInteger(snx), ny = asInteger(sny);
    s.n_groups = G;
    s.alt = asInteger(salt);
    s.nx = nx;
    s.ny = ny;
    s.cx = (nx + 1) * 0.5;
    s.cy = (ny + 1) * 0.5;
    s.sizes = INTEGER(ssizes);
    s.rank = REAL(srank);
    s.const_x = consts[0];
    s.const_y = consts[1];
    s.vmin = consts[2];
    s.vfloor = consts[3];
    s.tol = consts[4];
    int *suffix = (int *) R_alloc((size_t) G, sizeof(int));
    int *off = (int *) R_alloc((size_t) G, sizeof(int));
    int total = 0;
    for (int g = G - 1; g >= 0; g--) {
        total += s.sizes[g];
        suffix[g] = total;
    }
    if (total != nx + ny) error("pv_bm_perm_count: tie-group sizes do not add up to nx + ny");
    int cells = 0;
    for (int g = 0; g < G; g++) {
        off[g] = cells;
        cells += s.sizes[g] + 1;
    }
    double *ch = (double *) R_alloc((size_t) cells, sizeof(double));
    for (int g = 0; g < G; g++)
        for (int k = 0; k <= s.sizes[g]; k++) ch[off[g] + k] = choose((double) s.sizes[g], (double) k);
    s.suffix = suffix;
    s.choose_off = off;
    s.choose_row = ch;
    s.count = (int *) R_alloc((size_t) G, sizeof(int));
    for (int g = 0; g < G; g++) s.count[g] = INTEGER(sobserved)[g];
    double observed = bm_statistic(&s);
    s.reference = bm_transform(&s, observed);
    s.n_extreme = 0.;
    for (int g = 0; g < G; g++) s.count[g] = 0;
    bm_walk(&s, 0, nx, 1.);
    SEXP out = PROTECT(allocVector(REALSXP, 2));
    REAL(out)[0] = s.n_extreme;
    REAL(out)[1] = observed;
    UNPROTECT(5);
    return out;
}
