package dev.peft4j.testkit;

import java.util.function.IntFunction;

/**
 * Plain-Java double-precision references for MoRA, written straight from the elementwise formulas of
 * docs/math.md §4.2–§4.5 with loops: the independent side that tests compare the engines with.
 */
public final class MoraReference {

    private MoraReference() {}

    /**
     * kongds/MoRA's r̂ before any operator adjustment: {@code int(√((d+k)·r) + 0.5)}.
     *
     * @param d out features
     * @param k in features
     * @param r the requested rank
     * @return r̂
     */
    public static int officialRank(int d, int k, int r) {
        return (int) (Math.sqrt((double) (d + k) * r) + 0.5);
    }

    /**
     * The contiguous group of index i when an axis of {@code size} entries is cut into {@code
     * groups} groups, the first {@code size mod groups} one longer: {@code g_D(i)} of §4.2.
     *
     * @param size D
     * @param groups r̂
     * @param i the index, below D
     * @return the group
     */
    public static int group(int size, int groups, int i) {
        int q = size / groups;
        int m = size % groups;
        return i < m * (q + 1) ? i / (q + 1) : m + (i - m * (q + 1)) / q;
    }

    /**
     * The cyclic compression C (r̂, k): {@code C[j][i] = #{p < n_k·r̂ : p ≡ j (mod r̂), p ≡ i (mod k)}}.
     *
     * @param k in features
     * @param r r̂
     * @return C
     */
    public static double[][] cyclicCompression(int k, int r) {
        int padded = (k + r - 1) / r * r;
        double[][] c = new double[r][k];
        for (int p = 0; p < padded; p++) {
            c[p % r][p % k] += 1;
        }
        return c;
    }

    /**
     * The contiguous compression C (r̂, k): {@code C[j][i] = [g_k(i) = j]}.
     *
     * @param k in features
     * @param r r̂
     * @return C
     */
    public static double[][] contiguousCompression(int k, int r) {
        double[][] c = new double[r][k];
        for (int i = 0; i < k; i++) {
            c[group(k, r, i)][i] = 1;
        }
        return c;
    }

    /**
     * The tile decompression D (d, r̂): {@code D[o][j] = [j = o mod r̂]}.
     *
     * @param d out features
     * @param r r̂
     * @return D
     */
    public static double[][] tileDecompression(int d, int r) {
        double[][] t = new double[d][r];
        for (int o = 0; o < d; o++) {
            t[o][o % r] = 1;
        }
        return t;
    }

    /**
     * The interleave decompression D (d, r̂): {@code D[o][j] = [j = g_d(o)]}.
     *
     * @param d out features
     * @param r r̂
     * @return D
     */
    public static double[][] interleaveDecompression(int d, int r) {
        double[][] t = new double[d][r];
        for (int o = 0; o < d; o++) {
            t[o][group(d, r, o)] = 1;
        }
        return t;
    }

    /**
     * The RoPE rotation R_t (r̂, r̂) in the rotate_half layout (§4.4): with {@code h = ⌊r̂/2⌋} and
     * {@code φ_j = t·10000^(−2(j mod h)/r̂)}, rows j &lt; h hold {@code cos φ_j} at j and {@code −sin φ_j}
     * at j + h, rows h ≤ j &lt; 2h hold {@code cos φ_j} at j and {@code sin φ_j} at j − h. For an odd
     * r̂ (the generalisation) the last coordinate is not rotated.
     *
     * @param t the block position
     * @param r r̂
     * @return R_t
     */
    public static double[][] rotation(int t, int r) {
        int h = r / 2;
        double[][] rot = new double[r][r];
        for (int j = 0; j < r; j++) {
            if (j >= 2 * h) {
                rot[j][j] = 1;
                continue;
            }
            double phi = t * Math.pow(10000, -2.0 * (j % h) / r);
            rot[j][j] = Math.cos(phi);
            if (j < h) {
                rot[j][j + h] = -Math.sin(phi);
            } else {
                rot[j][j - h] = Math.sin(phi);
            }
        }
        return rot;
    }

    /**
     * {@code T·blockdiag(B_0, …, B_{n_k−1})·F} (§4.4) with {@code F[p][i] = [i = p mod k]} and
     * {@code T[o][q] = [q = o mod n_k·r̂]}.
     *
     * @param d out features
     * @param k in features
     * @param r r̂
     * @param block B_t (r̂, r̂) for each block t
     * @return ΔW (d, k)
     */
    public static double[][] blockDelta(int d, int k, int r, IntFunction<double[][]> block) {
        int blocks = (k + r - 1) / r;
        int padded = blocks * r;
        double[][] full = new double[padded][padded];
        for (int t = 0; t < blocks; t++) {
            double[][] b = block.apply(t);
            for (int a = 0; a < r; a++) {
                System.arraycopy(b[a], 0, full[t * r + a], t * r, r);
            }
        }
        double[][] delta = new double[d][k];
        for (int o = 0; o < d; o++) {
            for (int p = 0; p < padded; p++) {
                delta[o][p % k] += full[o % padded][p];
            }
        }
        return delta;
    }

    /**
     * The matrix {@code 1, 2, …, rows·cols} in row-major order, as the worked examples of §5 use.
     *
     * @param rows rows
     * @param cols columns
     * @return the matrix
     */
    public static double[][] sequence(int rows, int cols) {
        double[][] m = new double[rows][cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                m[i][j] = i * cols + j + 1;
            }
        }
        return m;
    }
}
