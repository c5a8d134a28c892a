/* Compiled kernels of pyvalues's resampling (R/pvboot.R, R/correlation.R), built at first
 * use by R/pvboot.R's .pv_native() with R CMD SHLIB.
 *
 * pv_cor_dist: the distances pvclust's dist.pvclust() computes from
 *   cor(x, use = "pairwise.complete.obs"), 1 - r or 1 - |r|, bit for bit, for a matrix
 *   without NAs. R's pairwise code (src/library/stats/src/cov.c, COV_PAIRWISE_BODY)
 *   works per pair of columns in long double: the two means (sum / nobs), the centred
 *   values, the cross product and both sums of squares, then
 *   sum / n1 / (sqrtl(xsd / n1) * sqrtl(ysd / n1)), capped at 1, rounded to double.
 *   Without NAs every pair uses all rows, so a column's mean, centred values and sum of
 *   squares are the same in every pair it is part of: they are computed once per column
 *   here, with the same operations in the same order, and only the cross product is
 *   computed per pair. The result is identical to R's; pvboot.R also checks the first
 *   replicate of every run against stats::cor() and uses R's own code if it differs.
 *
 * pv_boot_means: bootstrap means of the columns of a k x m matrix, `nboot` resamples of
 *   its k rows with replacement (the same rows for every column). Uniform row indices
 *   come from xoshiro256** (Blackman & Vigna) seeded from R's random numbers, mapped to
 *   0..k-1 without bias by Lemire's multiply-and-reject method.
 */
#include <R.h>
#include <Rinternals.h>
#include <R_ext/Rdynload.h>
#include <stdint.h>
#include <math.h>
#include <string.h>

#if defined(__GNUC__) && !defined(__clang__)
/* R's stats code does each multiply and add separately; so must this */
#pragma GCC optimize ("fp-contract=off")
#endif

/* The distances of the n x p matrix x into d (p (p - 1) / 2 values), with caller-provided
   workspace: cen (n p long doubles), sdv (p), zero (p ints), hl (2 n p doubles). Also
   called per replicate by pv_boot_chunk (pyvalues_s500.c). */
void pv_cor_dist_core(const double *x, int n, int p, int absval, double *d, long double *cen,
                      long double *sdv, int *zero, double *hl)
{
    R_xlen_t len = (R_xlen_t) p * (p - 1) / 2;
    if (n < 2) {                       /* nobs < 2: every coefficient is NA */
        for (R_xlen_t i = 0; i < len; i++) d[i] = NA_REAL;
        return;
    }
    int n1 = n - 1;
    for (int i = 0; i < p; i++) {
        const double *xx = x + (R_xlen_t) i * n;
        long double mean = 0., ssq = 0., xm;
        for (int k = 0; k < n; k++) mean += xx[k];
        mean /= n;
        long double *c = cen + (R_xlen_t) i * n;
        for (int k = 0; k < n; k++) {
            xm = xx[k] - mean;
            c[k] = xm;
            ssq += xm * xm;
        }
        zero[i] = (ssq == 0.);
        ssq /= n1;
        sdv[i] = sqrtl(ssq);
    }
    /* A centred value is held as two doubles, hi = (double) value and lo = value - hi,
       which add back to it exactly in long double (lo has at most 11 significant bits):
       two 8-byte loads and an add are much faster than one 10-byte x87 load, the
       bottleneck of this loop. Checked here; if a split were inexact, the 10-byte
       values are used as they are. */
    int split_ok = 1;
    for (R_xlen_t t = 0; t < (R_xlen_t) n * p; t++) {
        double h = (double) cen[t];
        hl[2 * t] = h;
        hl[2 * t + 1] = (double) (cen[t] - h);
        if ((long double) hl[2 * t] + hl[2 * t + 1] != cen[t]) split_ok = 0;
    }
#define PV_FINISH(S, I, J) do {                                     \
        double r;                                                   \
        if (zero[I] || zero[J]) r = NA_REAL;                        \
        else {                                                      \
            long double sum_ = (S);                                 \
            sum_ /= n1;                                             \
            sum_ /= (sdv[I] * sdv[J]);                              \
            if (sum_ > 1.) sum_ = 1.;                               \
            r = (double) sum_;                                      \
        }                                                           \
        d[at++] = ISNAN(r) ? NA_REAL : (absval ? 1 - fabs(r) : 1 - r); \
    } while (0)
#define PV_VAL(A, K) ((long double) (A)[2 * (K)] + (A)[2 * (K) + 1])
    /* dist order: column j, rows i = j + 1 .. p - 1 (as.dist of the lower triangle);
       four pairs at a time, each pair's cross product summed over k in R's order */
    R_xlen_t at = 0;
    for (int j = 0; j < p - 1; j++) {
        const long double *cj = cen + (R_xlen_t) j * n;
        int i = j + 1;
        if (split_ok) {
            for (; i + 3 < p; i += 4) {
                const double *a0 = hl + (R_xlen_t) 2 * i * n, *a1 = a0 + 2 * n, *a2 = a1 + 2 * n,
                    *a3 = a2 + 2 * n;
                long double s0 = 0., s1 = 0., s2 = 0., s3 = 0.;
                for (int k = 0; k < n; k++) {
                    long double y = cj[k];
                    s0 += PV_VAL(a0, k) * y;
                    s1 += PV_VAL(a1, k) * y;
                    s2 += PV_VAL(a2, k) * y;
                    s3 += PV_VAL(a3, k) * y;
                }
                PV_FINISH(s0, i, j);
                PV_FINISH(s1, i + 1, j);
                PV_FINISH(s2, i + 2, j);
                PV_FINISH(s3, i + 3, j);
            }
        }
        for (; i < p; i++) {
            const long double *ci = cen + (R_xlen_t) i * n;
            long double sum = 0.;
            for (int k = 0; k < n; k++) sum += ci[k] * cj[k];
            PV_FINISH(sum, i, j);
        }
    }
#undef PV_FINISH
#undef PV_VAL
}

SEXP pv_cor_dist(SEXP sx, SEXP sabs)
{
    int n = nrows(sx), p = ncols(sx), absval = asLogical(sabs);
    sx = PROTECT(coerceVector(sx, REALSXP));          /* as cor() does */
    R_xlen_t len = (R_xlen_t) p * (p - 1) / 2;
    SEXP out = PROTECT(allocVector(REALSXP, len));
    size_t np = (size_t) (n > 0 ? n : 1) * (size_t) p;
    long double *cen = (long double *) R_alloc(np, sizeof(long double));
    long double *sdv = (long double *) R_alloc((size_t) p, sizeof(long double));
    int *zero = (int *) R_alloc((size_t) p, sizeof(int));
    double *hl = (double *) R_alloc(2 * np, sizeof(double));
    pv_cor_dist_core(REAL(sx), n, p, absval, REAL(out), cen, sdv, zero, hl);
    UNPROTECT(2);
    return out;
}

/* pv_hclust: stats::hclust()'s clustering (src/library/stats/src/hclust.f, F. Murtagh's
   nearest-neighbour-list algorithm with R's fixes, R 4.x), translated line by line: the
   same scans in the same order, the same strict comparisons (so the same choice among
   tied distances), the same update formulas operation by operation. Only the index
   arithmetic is hoisted (row offsets computed once). Returns c(IA, IB) of the n - 1
   merges (1-based observation numbers, as the Fortran's IA, IB). */
/* The merges of the n objects whose distances are diss (overwritten) into ia, ib (n - 1
   each), with caller-provided workspace of n + 1 elements each (1-based, as the Fortran).
   Also called per replicate by pv_boot_chunk (pyvalues_s500.c).
   The Fortran loops over every index and skips the clusters already merged away
   (FLAG false); here the clusters still active are kept in increasing order in act[] and
   the loops run over them only: the same indices in the same order, so the same
   comparisons and updates, in about half the steps. */
void pv_hclust_core(double *diss, int n, int iopt, int *ia, int *ib, int *nn, double *disnn,
                    double *membr, char *flag, R_xlen_t *base, int *act)
{
    R_xlen_t len = (R_xlen_t) n * (n - 1) / 2;
    const double inf = 1.0e300;
    int im = 0, jj = 0, jm = 0, ncl = n, na = n;
    double dmin, d12;
    /* IOFFST(N, I, J) = J + (I - 1) * N - (I * (I + 1)) / 2, for I < J; minus 1 for C */
    for (int i = 1; i <= n; i++) {
        base[i] = (R_xlen_t) (i - 1) * n - ((R_xlen_t) i * (i + 1)) / 2 - 1;
        flag[i] = 1;
        membr[i] = 1.;
        act[i - 1] = i;
    }
#define IOFF(I, J) (base[I] + (J))
    if (iopt == 8) for (R_xlen_t i = 0; i < len; i++) diss[i] = diss[i] * diss[i];
    for (int i = 1; i <= n - 1; i++) {
        dmin = inf;
        for (int j = i + 1; j <= n; j++) {
            R_xlen_t ind = IOFF(i, j);
            if (dmin > diss[ind]) {
                dmin = diss[ind];
                jm = j;
            }
        }
        nn[i] = jm;
        disnn[i] = dmin;
    }
    int isWard = (iopt == 1 || iopt == 8);
    do {
        /* I = 1 .. N - 1 with FLAG(I) */
        dmin = inf;
        for (int t = 0; t < na; t++) {
            int i = act[t];
            if (i > n - 1) break;
            if (disnn[i] < dmin) {
                dmin = disnn[i];
                im = i;
                jm = nn[i];
            }
        }
        ncl = ncl - 1;
        int i2 = im < jm ? im : jm, j2 = im > jm ? im : jm;
        ia[n - ncl - 1] = i2;
        ib[n - ncl - 1] = j2;
        flag[j2] = 0;
        {   /* j2 leaves the active clusters */
            int t = 0;
            while (act[t] != j2) t++;
            memmove(act + t, act + t + 1, (size_t) (na - t - 1) * sizeof(int));
            na--;
        }
        dmin = inf;
        d12 = diss[IOFF(i2, j2)];
        /* K = 1 .. N with FLAG(K) and K != I2 */
        for (int t = 0; t < na; t++) {
            int k = act[t];
            if (k != i2) {
                R_xlen_t ind1 = i2 < k ? IOFF(i2, k) : IOFF(k, i2);
                R_xlen_t ind2 = j2 < k ? IOFF(j2, k) : IOFF(k, j2);
                if (isWard) {
                    diss[ind1] = (membr[i2] + membr[k]) * diss[ind1] + (membr[j2] + membr[k]) * diss[ind2] -
                        membr[k] * d12;
                    diss[ind1] = diss[ind1] / (membr[i2] + membr[j2] + membr[k]);
                } else if (iopt == 2) {
                    diss[ind1] = diss[ind1] < diss[ind2] ? diss[ind1] : diss[ind2];
                } else if (iopt == 3) {
                    diss[ind1] = diss[ind1] > diss[ind2] ? diss[ind1] : diss[ind2];
                } else if (iopt == 4) {
                    diss[ind1] = (membr[i2] * diss[ind1] + membr[j2] * diss[ind2]) / (membr[i2] + membr[j2]);
                } else if (iopt == 5) {
                    diss[ind1] = (diss[ind1] + diss[ind2]) / 2;
                } else if (iopt == 6) {
                    diss[ind1] = ((diss[ind1] + diss[ind2]) - d12 / 2) / 2;
                } else if (iopt == 7) {
                    diss[ind1] = (membr[i2] * diss[ind1] + membr[j2] * diss[ind2] -
                                  membr[i2] * membr[j2] * d12 / (membr[i2] + membr[j2])) /
                        (membr[i2] + membr[j2]);
                }
                if (i2 < k) {
                    if (diss[ind1] < dmin) {
                        dmin = diss[ind1];
                        jj = k;
                    }
                } else if (diss[ind1] < disnn[k]) {
                    disnn[k] = diss[ind1];
                    nn[k] = i2;
                }
            }
        }
        membr[i2] = membr[i2] + membr[j2];
        disnn[i2] = dmin;
        nn[i2] = jj;
        /* I = 1 .. N - 1 with FLAG(I) whose nearest neighbour was I2 or J2; J = I + 1 .. N with FLAG(J) */
        for (int t = 0; t < na; t++) {
            int i = act[t];
            if (i > n - 1) break;
            if (nn[i] == i2 || nn[i] == j2) {
                dmin = inf;
                for (int u = t + 1; u < na; u++) {
                    int j = act[u];
                    R_xlen_t ind = IOFF(i, j);
                    if (diss[ind] < dmin) {
                        dmin = diss[ind];
                        jj = j;
                    }
                }
                nn[i] = jj;
                disnn[i] = dmin;
            }
        }
    } while (ncl > 1);
#undef IOFF
}

SEXP pv_hclust(SEXP sdiss, SEXP smethod)
{
    R_xlen_t len = XLENGTH(sdiss);
    int n = (int) ((1 + sqrt(1 + 8 * (double) len)) / 2 + 0.5), iopt = asInteger(smethod);
    if ((R_xlen_t) n * (n - 1) / 2 != len || n < 2) error("pv_hclust: not a distance vector");
    double *diss = (double *) R_alloc((size_t) len, sizeof(double));
    sdiss = PROTECT(coerceVector(sdiss, REALSXP));
    memcpy(diss, REAL(sdiss), (size_t) len * sizeof(double));
    UNPROTECT(1);
    /* 1-based arrays as in the Fortran */
    int *nn = (int *) R_alloc((size_t) n + 1, sizeof(int));
    double *disnn = (double *) R_alloc((size_t) n + 1, sizeof(double));
    double *membr = (double *) R_alloc((size_t) n + 1, sizeof(double));
    char *flag = (char *) R_alloc((size_t) n + 1, sizeof(char));
    R_xlen_t *base = (R_xlen_t *) R_alloc((size_t) n + 1, sizeof(R_xlen_t));
    SEXP out = PROTECT(allocVector(INTSXP, 2 * (R_xlen_t) (n - 1)));
    int *ia = INTEGER(out), *ib = ia + (n - 1);
    int *act = (int *) R_alloc((size_t) n + 1, sizeof(int));
    pv_hclust_core(diss, n, iopt, ia, ib, nn, disnn, membr, flag, base, act);
    UNPROTECT(1);
    return out;
}

/* xoshiro256** 1.0 (public domain, D. Blackman and S. Vigna), seeded by splitmix64 */
static inline uint64_t rotl(const uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t xoshiro_next(uint64_t *s)
{
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

static inline uint64_t splitmix64(uint64_t *z)
{
    uint64_t r = (*z += 0x9e3779b97f4a7c15ULL);
    r = (r ^ (r >> 30)) * 0xbf58476d1ce4e5b9ULL;
    r = (r ^ (r >> 27)) * 0x94d049bb133111ebULL;
    return r ^ (r >> 31);
}

/* uniform on 0 .. range - 1 (D. Lemire, "Fast random integer generation in an interval",
   ACM TOMACS 2019): exact, rejecting the few products that would bias it */
static inline uint32_t bounded(uint64_t *s, uint32_t range)
{
    uint64_t m = (uint64_t) (uint32_t) (xoshiro_next(s) >> 32) * range;
    uint32_t low = (uint32_t) m;
    if (low < range) {
        uint32_t threshold = (uint32_t) (-range) % range;
        while (low < threshold) {
            m = (uint64_t) (uint32_t) (xoshiro_next(s) >> 32) * range;
            low = (uint32_t) m;
        }
    }
    return (uint32_t) (m >> 32);
}

/* sx: k x m matrix; snboot: number of resamples; sseed: 4 integers (from R's generator)
   seeding the generator. Returns an nboot x m matrix of resample means. */
SEXP pv_boot_means(SEXP sx, SEXP snboot, SEXP sseed)
{
    int k = nrows(sx), m = ncols(sx), nboot = asInteger(snboot);
    if (k < 1 || m < 1 || m > 16) error("pv_boot_means: need 1..16 columns and at least one row");
    if (LENGTH(sseed) != 4) error("pv_boot_means: seed must be 4 integers");
    const double *x = REAL(sx);
    const int *seed = INTEGER(sseed);
    uint64_t z = ((uint64_t) (uint32_t) seed[0] << 32) | (uint32_t) seed[1];
    uint64_t z2 = ((uint64_t) (uint32_t) seed[2] << 32) | (uint32_t) seed[3];
    uint64_t s[4];
    s[0] = splitmix64(&z);
    s[1] = splitmix64(&z);
    s[2] = splitmix64(&z2);
    s[3] = splitmix64(&z2);
    if (!(s[0] | s[1] | s[2] | s[3])) s[0] = 1;
    SEXP out = PROTECT(allocMatrix(REALSXP, nboot, m));
    double *o = REAL(out);
    double acc[16];
    /* two columns: each row's two values side by side, so a drawn row is one memory
       access (the columns of 124,750 pairs at 500 models do not fit in a core's cache);
       the same values added in the same order */
    double *x01 = NULL;
    uint32_t *ibuf = NULL;
    if (m == 2) {
        ibuf = (uint32_t *) R_alloc((size_t) k, sizeof(uint32_t));
        x01 = (double *) R_alloc((size_t) 2 * k, sizeof(double));
        for (int r = 0; r < k; r++) {
            x01[2 * r] = x[r];
            x01[2 * r + 1] = x[r + (R_xlen_t) k];
        }
    }
    for (int b = 0; b < nboot; b++) {
        for (int j = 0; j < m; j++) acc[j] = 0.;
        if (m == 2) {
            double a0 = 0., a1 = 0.;
            /* the draws first, then the sums (two short dependency chains, not one long one) */
            for (int r = 0; r < k; r++) ibuf[r] = bounded(s, (uint32_t) k);
            for (int r = 0; r < k; r++) {
                const double *xi = x01 + 2 * (size_t) ibuf[r];
                a0 += xi[0];
                a1 += xi[1];
            }
            acc[0] = a0;
            acc[1] = a1;
        } else {
            for (int r = 0; r < k; r++) {
                uint32_t i = bounded(s, (uint32_t) k);
                for (int j = 0; j < m; j++) acc[j] += x[i + (R_xlen_t) j * k];
            }
        }
        for (int j = 0; j < m; j++) o[b + (R_xlen_t) j * nboot] = acc[j] / k;
    }
    UNPROTECT(1);
    return out;
}

static const R_CallMethodDef call_methods[] = {
    {"pv_cor_dist", (DL_FUNC) &pv_cor_dist, 2},
    {"pv_hclust", (DL_FUNC) &pv_hclust, 2},
    {"pv_boot_means", (DL_FUNC) &pv_boot_means, 3},
    {NULL, NULL, 0}
};

void R_init_pyvalues_native(DllInfo *dll)
{
    R_registerRoutines(dll, NULL, call_methods, NULL, NULL);
}
