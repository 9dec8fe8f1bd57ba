package com.example.peft4j;

import dev.peft4j.testkit.mora.OperatorConformanceTest;
import dev.peft4j.testkit.mora.OperatorInvariants;

/** The shared operator conformance test on {@code strided}, run in the plugin's own build. */
class StridedOperatorConformanceTest extends OperatorConformanceTest {

    @Override
    protected OperatorInvariants.Spec spec() {
        return new OperatorInvariants.Spec(
                StridedOperator.NAME, rHat -> rHat, (d, k, rHat) -> true, StridedOperatorConformanceTest::deltaWeight);
    }

    /** Strided is defined on every shape. */
    @Override
    protected boolean needsGeneralisation() {
        return false;
    }

    /** Every shape is in the operator's domain. */
    @Override
    protected int minimumShapesChecked() {
        return OperatorInvariants.shapes().size();
    }

    /**
     * The strided operator's ΔW, element by element: {@code ΔW[o][i] = M[o/t][i/s]} where t = ⌈d/r̂⌉
     * divides o and s = ⌈k/r̂⌉ divides i, else 0.
     */
    private static double[][] deltaWeight(int d, int k, double[][] m) {
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
}
