package dev.peft4j.mora.op.sharing;

import ai.djl.ndarray.NDArray;
import dev.peft4j.mora.MoraOps;

/** How the sharing operators spread r̂ values over the d outputs (docs/math.md §4.2). */
enum Decompressor {

    /** Tiling (types 1, 3): {@code out_o = y_{o mod r̂}}, so {@code D[o][j] = [j = o mod r̂]}. */
    TILE {
        @Override
        NDArray expand(NDArray a, int axis, long outFeatures) {
            return MoraOps.cyclic(a, axis, outFeatures);
        }
    },

    /**
     * Interleaving (types 2, 4): {@code out_o = y_{g_d(o)}} over contiguous output groups, so {@code
     * D[o][j] = [j = g_d(o)]}; with d &lt; r̂ it keeps {@code y[:d]}.
     */
    INTERLEAVE {
        @Override
        NDArray expand(NDArray a, int axis, long outFeatures) {
            return MoraOps.interleave(a, axis, outFeatures);
        }
    };

    /**
     * {@code D·a} along an axis: the outputs on the last axis, or ΔW's rows on axis 0.
     *
     * @param a the array, r̂ long on the axis (or d when d &lt; r̂ and only the kept rows are given)
     * @param axis the axis
     * @param outFeatures d
     * @return the array, d long on the axis
     */
    abstract NDArray expand(NDArray a, int axis, long outFeatures);
}
