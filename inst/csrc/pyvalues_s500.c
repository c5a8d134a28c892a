/* Compiled loops of pyvalues's resampling at hundreds of models (issue 13: all analyses
 * of 500 models within a minute on two cores). Built into the same shared object as
 * pyvalues_native.c (R/pvboot.R's .pv_native() compiles every inst/csrc/*.c together).
 *
 * pv_boot_chunk: a block of replicates of pvclust's multiscale bootstrap (R/pvboot.R,
 *   .pv_boot_counts), each replicate exactly what the R loop does with the compiled
 *   kernels of pyvalues_native.c: the rows idx[, b] of data, pv_cor_dist's distances,
 *   pv_hclust's merges, and each merge's cluster compared with the original tree's
 *   clusters through their positions in its dendrogram order (a cluster is an original
 *   one exactly when its members' positions lo..hi are contiguous, hi - lo + 1 == size,
 *   and (lo, hi) is an original cluster's pair). The resample indices are drawn in R
 *   (sample(), the random numbers of pvclust), so only the arithmetic moves here, and the
 *   R loop's per-replicate calls, copies and bookkeeping go.
 */
#include <R.h>
#include <Rinternals.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize ("fp-contract=off")
#endif

/* pyvalues_native.c */
void pv_cor_dist_core(const double *x, int n, int p, int absval, double *d, long double *cen,
                      long double *sdv, int *zero, double *hl);
void pv_hclust_core(double *diss, int n, int iopt, int *ia, int *ib, int *nn, double *disnn,
                    double *membr, char *flag, R_xlen_t *base, int *act);

typedef struct { long long key; int edge; } pv_key;

static int pv_key_cmp(const void *a, const void *b)
{
    long long x = ((const pv_key *) a)->key, y = ((const pv_key *) b)->key;
    return (x > y) - (x < y);
}

/* sdata: n0 x p double matrix (rows resampled, columns clustered); sidx: size x B integer
   matrix of 1-based rows, one column per replicate; spos: each column's 1-based position in
   the original tree's order; skeys: the original merges' keys lo * (p + 1) + hi; sabs:
   1 - |r| instead of 1 - r; smeth: hclust's method number. Returns p integers: the edge
   counts of the p - 1 original merges, then the number of replicates omitted (distances
   not all finite). */
SEXP pv_boot_chunk(SEXP sdata, SEXP sidx, SEXP spos, SEXP skeys, SEXP sabs, SEXP smeth)
{
    int n0 = nrows(sdata), p = ncols(sdata), size = nrows(sidx), nb = ncols(sidx);
    int absval = asLogical(sabs), iopt = asInteger(smeth);
    if (p < 2 || LENGTH(spos) != p || LENGTH(skeys) != p - 1 || TYPEOF(sidx) != INTSXP || size < 1)
        error("pv_boot_chunk: inconsistent arguments");
    sdata = PROTECT(coerceVector(sdata, REALSXP));
    spos = PROTECT(coerceVector(spos, INTSXP));
    skeys = PROTECT(coerceVector(skeys, REALSXP));
    const double *data = REAL(sdata), *keysd = REAL(skeys);
    const int *idx = INTEGER(sidx), *pos = INTEGER(spos);
    R_xlen_t len = (R_xlen_t) p * (p - 1) / 2;
    size_t np = (size_t) size * p;
    double *x = (double *) R_alloc(np, sizeof(double));
    double *d = (double *) R_alloc((size_t) len, sizeof(double));
    long double *cen = (long double *) R_alloc(np, sizeof(long double));
    long double *sdv = (long double *) R_alloc((size_t) p, sizeof(long double));
    int *zero = (int *) R_alloc((size_t) p, sizeof(int));
    double *hl = (double *) R_alloc(2 * np, sizeof(double));
    int *ia = (int *) R_alloc((size_t) p, sizeof(int)), *ib = (int *) R_alloc((size_t) p, sizeof(int));
    int *nn = (int *) R_alloc((size_t) p + 1, sizeof(int));
    double *disnn = (double *) R_alloc((size_t) p + 1, sizeof(double));
    double *membr = (double *) R_alloc((size_t) p + 1, sizeof(double));
    char *flag = (char *) R_alloc((size_t) p + 1, sizeof(char));
    R_xlen_t *base = (R_xlen_t *) R_alloc((size_t) p + 1, sizeof(R_xlen_t));
    int *act = (int *) R_alloc((size_t) p + 1, sizeof(int));
    int *lo = (int *) R_alloc((size_t) p + 1, sizeof(int)), *hi = (int *) R_alloc((size_t) p + 1, sizeof(int));
    int *sz = (int *) R_alloc((size_t) p + 1, sizeof(int));
    pv_key *keys = (pv_key *) R_alloc((size_t) p - 1, sizeof(pv_key));
    for (int e = 0; e < p - 1; e++) {
        keys[e].key = (long long) keysd[e];
        keys[e].edge = e;
    }
    qsort(keys, (size_t) p - 1, sizeof(pv_key), pv_key_cmp);
    for (R_xlen_t t = 0; t < (R_xlen_t) size * nb; t++) {
        if (idx[t] == NA_INTEGER || idx[t] < 1 || idx[t] > n0) error("pv_boot_chunk: row index out of range");
    }
    SEXP out = PROTECT(allocVector(INTSXP, p));
    int *counts = INTEGER(out);
    memset(counts, 0, (size_t) p * sizeof(int));
    for (int b = 0; b < nb; b++) {
        const int *rows = idx + (R_xlen_t) b * size;
        for (int i = 0; i < p; i++) {
            const double *col = data + (R_xlen_t) i * n0;
            double *xi = x + (R_xlen_t) i * size;
            for (int k = 0; k < size; k++) xi[k] = col[rows[k] - 1];
        }
        pv_cor_dist_core(x, size, p, absval, d, cen, sdv, zero, hl);
        int finite = 1;
        for (R_xlen_t t = 0; t < len; t++) if (!R_FINITE(d[t])) { finite = 0; break; }
        if (!finite) {
            counts[p - 1]++;
            continue;
        }
        pv_hclust_core(d, p, iopt, ia, ib, nn, disnn, membr, flag, base, act);
        /* clusters are named by their smallest member, as hclust's IA keeps it */
        for (int c = 1; c <= p; c++) {
            lo[c] = hi[c] = pos[c - 1];
            sz[c] = 1;
        }
        for (int k = 0; k < p - 1; k++) {
            int a = ia[k] < ib[k] ? ia[k] : ib[k], z = ia[k] < ib[k] ? ib[k] : ia[k];
            int l = lo[a] < lo[z] ? lo[a] : lo[z], h = hi[a] > hi[z] ? hi[a] : hi[z], s = sz[a] + sz[z];
            lo[a] = l;
            hi[a] = h;
            sz[a] = s;
            if (h - l + 1 != s) continue;
            long long key = (long long) l * (p + 1) + h;
            int first = 0, last = p - 2;
            while (first <= last) {
                int mid = first + (last - first) / 2;
                if (keys[mid].key < key) first = mid + 1;
                else if (keys[mid].key > key) last = mid - 1;
                else {
                    counts[keys[mid].edge]++;
                    break;
                }
            }
        }
        if ((b & 15) == 15) R_CheckUserInterrupt();
    }
    UNPROTECT(4);
    return out;
}

/* pv_pair_sums: for each row b of the weights W (B x n: bootstrap counts of n models, or
 * 0/1 flags of a permutation split) and each n x n matrix R0 of the list sRs (correlations
 * between the models), rowSums((W %*% R0) * W)[b] with R0 = R with a zero diagonal: the
 * sum over pairs of drawn models (each copy of a model with each copy of another) of
 * their coefficient. R computes it as a matrix product (BLAS dgemm) and rowSums; this is
 * the same arithmetic element by element, without the terms whose weight is zero:
 *   P[b, j] = sum over l = 1..n of R0[l, j] * W[b, l]     in double, l in increasing order
 *             (the reference BLAS dgemm's loop: C(I,J) = C(I,J) + B(L,J) * A(I,L))
 *   num[b]  = sum over j = 1..n of P[b, j] * W[b, j]      in long double, j in increasing
 *             order (R's rowSums), rounded to double.
 * A term with W[b, l] == 0 adds +0 or -0 to a sum that is never -0 (it starts at +0, and
 * +0 + -0 is +0), which leaves it unchanged, so skipping it gives the same bits. The
 * caller passes R0 itself (the diagonal already zero). R/correlation.R
 * checks the result against R's own expression on a sample of rows before using it (a
 * BLAS that sums in another order, e.g. OpenBLAS, gives other last bits: R's code is then
 * used). The R matrices must be finite (R's %*% uses another loop when they are not).
 * Returns a B x length(sRs) matrix. */
SEXP pv_pair_sums(SEXP sW, SEXP sRs)
{
    int B = nrows(sW), n = ncols(sW), nm = LENGTH(sRs);
    sW = PROTECT(coerceVector(sW, REALSXP));
    const double *W = REAL(sW);
    const double **Rs = (const double **) R_alloc((size_t) (nm > 0 ? nm : 1), sizeof(double *));
    for (int m = 0; m < nm; m++) {
        SEXP R = VECTOR_ELT(sRs, m);
        if (TYPEOF(R) != REALSXP || nrows(R) != n || ncols(R) != n) error("pv_pair_sums: R must be n x n doubles");
        Rs[m] = REAL(R);
    }
    int *nz = (int *) R_alloc((size_t) (n > 0 ? n : 1), sizeof(int));
    double *w = (double *) R_alloc((size_t) (n > 0 ? n : 1), sizeof(double));
    SEXP out = PROTECT(allocMatrix(REALSXP, B, nm));
    double *o = REAL(out);
    for (int b = 0; b < B; b++) {
        int k = 0;
        for (int l = 0; l < n; l++) {
            double v = W[b + (R_xlen_t) l * B];
            if (v != 0.) {
                nz[k] = l;
                w[k] = v;
                k++;
            }
        }
        for (int m = 0; m < nm; m++) {
            const double *R = Rs[m];
            long double num = 0.;
            int t = 0;
            /* four columns j at a time: independent sums, each in its own order */
            for (; t + 3 < k; t += 4) {
                int j0 = nz[t], j1 = nz[t + 1], j2 = nz[t + 2], j3 = nz[t + 3];
                const double *c0 = R + (R_xlen_t) j0 * n, *c1 = R + (R_xlen_t) j1 * n,
                    *c2 = R + (R_xlen_t) j2 * n, *c3 = R + (R_xlen_t) j3 * n;
                double p0 = 0., p1 = 0., p2 = 0., p3 = 0.;
                for (int u = 0; u < k; u++) {
                    int l = nz[u];
                    double wl = w[u];
                    p0 += c0[l] * wl;
                    p1 += c1[l] * wl;
                    p2 += c2[l] * wl;
                    p3 += c3[l] * wl;
                }
                num += p0 * w[t];
                num += p1 * w[t + 1];
                num += p2 * w[t + 2];
                num += p3 * w[t + 3];
            }
            for (; t < k; t++) {
                int j = nz[t];
                const double *c = R + (R_xlen_t) j * n;
                double p = 0.;
                for (int u = 0; u < k; u++) p += c[nz[u]] * w[u];
                num += p * w[t];
            }
            o[b + (R_xlen_t) m * B] = (double) num;
        }
        if ((b & 63) == 63) R_CheckUserInterrupt();
    }
    UNPROTECT(2);
    return out;
}
