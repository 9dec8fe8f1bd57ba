package dev.peft4j.cli;

import dev.peft4j.testkit.MoraReference;

/**
 * Merged weights in plain Java doubles, straight from the methods' equations (LoRA §4.1, DoRA §4, MoRA §4), as the independent side of the
 * merge tests. Matrices are row-major {@code double[rows][cols]}; adapter tensors come as the
 * float arrays that were written to the file.
 */
final class ReferenceMerge {

    private ReferenceMerge() {}

    /**
     * A row-major float array as a matrix.
     *
     * @param values the values
     * @param rows rows
     * @param cols columns
     * @return the matrix
     */
    static double[][] matrix(float[] values, int rows, int cols) {
        double[][] m = new double[rows][cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                m[i][j] = values[i * cols + j];
            }
        }
        return m;
    }

    /**
     * The product of two matrices.
     *
     * @param a (n, m)
     * @param b (m, p)
     * @return a·b (n, p)
     */
    static double[][] times(double[][] a, double[][] b) {
        double[][] c = new double[a.length][b[0].length];
        for (int i = 0; i < a.length; i++) {
            for (int l = 0; l < b.length; l++) {
                double ail = a[i][l];
                for (int j = 0; j < b[0].length; j++) {
                    c[i][j] += ail * b[l][j];
                }
            }
        }
        return c;
    }

    /**
     * The transpose.
     *
     * @param a (n, m)
     * @return aᵀ (m, n)
     */
    static double[][] transpose(double[][] a) {
        double[][] t = new double[a[0].length][a.length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[0].length; j++) {
                t[j][i] = a[i][j];
            }
        }
        return t;
    }

    /**
     * {@code a + s·b}.
     *
     * @param a (n, m)
     * @param s the factor
     * @param b (n, m)
     * @return the sum
     */
    static double[][] plus(double[][] a, double s, double[][] b) {
        double[][] c = new double[a.length][a[0].length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[0].length; j++) {
                c[i][j] = a[i][j] + s * b[i][j];
            }
        }
        return c;
    }

    /**
     * LoRA (§2): {@code W0 + s·B·A}.
     *
     * @param w0 (d, k)
     * @param a A (r, k)
     * @param b B (d, r)
     * @param scaling s
     * @return the merged weight (d, k)
     */
    static double[][] lora(double[][] w0, double[][] a, double[][] b, double scaling) {
        return plus(w0, scaling, times(b, a));
    }

    /**
     * DoRA (§3.3): {@code diag(m/n)·(W0 + s·B·A)} with n the row norms of {@code W0 + s·B·A}.
     *
     * @param w0 (d, k)
     * @param a A (r, k)
     * @param b B (d, r)
     * @param magnitude m (d)
     * @param scaling s
     * @return the merged weight (d, k)
     */
    static double[][] dora(double[][] w0, double[][] a, double[][] b, float[] magnitude, double scaling) {
        double[][] v = lora(w0, a, b, scaling);
        for (int o = 0; o < v.length; o++) {
            double norm = 0;
            for (double x : v[o]) {
                norm += x * x;
            }
            double scale = magnitude[o] / Math.sqrt(norm);
            for (int i = 0; i < v[o].length; i++) {
                v[o][i] *= scale;
            }
        }
        return v;
    }

    /**
     * MoRA type 1 (§4.3): {@code W0 + D·M·C}, tile decompression and cyclic compression.
     *
     * @param w0 (d, k)
     * @param m M (r̂, r̂)
     * @return the merged weight (d, k)
     */
    static double[][] moraType1(double[][] w0, double[][] m) {
        int r = m.length;
        double[][] delta = times(
                times(MoraReference.tileDecompression(w0.length, r), m),
                MoraReference.cyclicCompression(w0[0].length, r));
        return plus(w0, 1, delta);
    }

    /**
     * MoRA type 6 (§4.4): {@code W0 + T·blockdiag(M·R_0, …)·F}.
     *
     * @param w0 (d, k)
     * @param m M (r̂, r̂), r̂ even
     * @return the merged weight (d, k)
     */
    static double[][] moraType6(double[][] w0, double[][] m) {
        int r = m.length;
        double[][] delta =
                MoraReference.blockDelta(w0.length, w0[0].length, r, t -> times(m, MoraReference.rotation(t, r)));
        return plus(w0, 1, delta);
    }
}
