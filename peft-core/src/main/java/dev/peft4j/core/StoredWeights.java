package dev.peft4j.core;

import ai.djl.ndarray.NDArray;
import dev.peft4j.spi.Adapter;

/**
 * Merges an adapter into a weight stored either (out, in), as in PyTorch's {@code nn.Linear}, or
 * (in, out) with {@code fan_in_fan_out}, as in GPT-2's {@code Conv1D}: the adapter always works on
 * (out, in), so an (in, out) weight is transposed on the way in and out.
 */
public final class StoredWeights {

    private StoredWeights() {}

    /**
     * The merged weight, in the stored layout.
     *
     * @param adapter the adapter
     * @param stored the base weight as stored
     * @param fanInFanOut whether it is stored (in, out)
     * @return the merged weight, in the stored layout
     */
    public static NDArray merge(Adapter adapter, NDArray stored, boolean fanInFanOut) {
        return fanInFanOut ? adapter.merge(stored.transpose()).transpose() : adapter.merge(stored);
    }

    /**
     * The base weight recovered from a merged one, in the stored layout.
     *
     * @param adapter the adapter that was merged
     * @param stored the merged weight as stored
     * @param fanInFanOut whether it is stored (in, out)
     * @return W0, in the stored layout
     */
    public static NDArray unmerge(Adapter adapter, NDArray stored, boolean fanInFanOut) {
        return fanInFanOut ? adapter.unmerge(stored.transpose()).transpose() : adapter.unmerge(stored);
    }
}
