package dev.peft4j.it;

/**
 * What the third-party example plugin ({@code examples/third-party-plugin}) holds, and plain-Java
 * references of its math. Its classes are never on the tests' class path, so the tests name them
 * by string.
 */
final class ThirdPartyPlugin {

    /** The adapter method: LoRA with a learned per-row scale. */
    static final String ADAPTER = "lora-rowscale";
    /** The adapter's factory class. */
    static final String ADAPTER_CLASS = "com.example.peft4j.RowScaledLoraFactory";
    /** The MoRA compression operator. */
    static final String OPERATOR = "strided";
    /** The operator's class. */
    static final String OPERATOR_CLASS = "com.example.peft4j.StridedOperator";
    /** The tensor name of the adapter's per-row scale. */
    static final String ROW_SCALE = "lora_row_scale";

    private ThirdPartyPlugin() {}

    /**
     * The strided operator's ΔW, element by element: {@code ΔW[o][i] = M[o/t][i/s]} where t = ⌈d/r̂⌉
     * divides o and s = ⌈k/r̂⌉ divides i, else 0.
     *
     * @param d out features
     * @param k in features
     * @param m M (r̂, r̂)
     * @return ΔW (d, k)
     */
    static double[][] stridedDeltaWeight(int d, int k, double[][] m) {
        int rHat = m.length;
        int s = (k + rHat - 1) / rHat;
        int t = (d + rHat - 1) / rHat;
        double[][] delta = new double[d][k];
        for (int o = 0; o < d; o += t) {
            for (int i = 0; i < k; i += s) {
                delta[o][i] = m[o / t][i / s];
            }
        }
        return delta;
    }

    /**
     * The row-scaled adapter's ΔW: {@code s·diag(g)·B·A}.
     *
     * @param scaling s
     * @param g the row scale (d)
     * @param b B (d, r)
     * @param a A (r, k)
     * @return ΔW (d, k)
     */
    static double[][] rowScaledDeltaWeight(double scaling, double[] g, double[][] b, double[][] a) {
        double[][] delta = new double[b.length][a[0].length];
        for (int o = 0; o < b.length; o++) {
            for (int j = 0; j < a.length; j++) {
                for (int i = 0; i < a[0].length; i++) {
                    delta[o][i] += scaling * g[o] * b[o][j] * a[j][i];
                }
            }
        }
        return delta;
    }
}
