package dev.peft4j.dora;

import dev.peft4j.testkit.Dense;

/** DoRA in plain Java doubles (docs/math.md §3): the independent reference of the tests. */
final class DoraReference {

    private DoraReference() {}

    /** Row norms of V = W0 + s·B·A. */
    static double[] norms(double[][] w0, double[][] a, double[][] b, double s) {
        double[][] v = Dense.add(w0, s, Dense.matmul(b, a));
        double[] n = new double[v.length];
        for (int o = 0; o < v.length; o++) {
            double sum = 0;
            for (double value : v[o]) {
                sum += value * value;
            }
            n[o] = Math.sqrt(sum);
        }
        return n;
    }

    /** W' = diag(m/n)·(W0 + s·B·A), with n taken as given. */
    static double[][] merged(double[][] w0, double[][] a, double[][] b, double s, double[] m, double[] n) {
        double[][] v = Dense.add(w0, s, Dense.matmul(b, a));
        for (int o = 0; o < v.length; o++) {
            for (int i = 0; i < v[o].length; i++) {
                v[o][i] *= m[o] / n[o];
            }
        }
        return v;
    }

    /** L = Σ (x·W'ᵀ) ⊙ G with n recomputed from A and B (the norm attached). */
    static double loss(double[][] x, double[][] g, double[][] w0, double[][] a, double[][] b, double s, double[] m) {
        double[][] h = Dense.matmul(x, Dense.transpose(merged(w0, a, b, s, m, norms(w0, a, b, s))));
        double sum = 0;
        for (int t = 0; t < h.length; t++) {
            for (int o = 0; o < h[t].length; o++) {
                sum += h[t][o] * g[t][o];
            }
        }
        return sum;
    }
}
