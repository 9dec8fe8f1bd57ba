package dev.peft4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.spi.PeftException;

/**
 * Where each token of a (possibly padded, possibly cached) batch sits: position ids and the
 * additive attention mask. Positions follow the attention mask as transformers' {@code generate}
 * does (a token's position is the number of unmasked tokens before it), so left- or right-padded
 * rows compute what each row computes alone.
 */
final class InputLayout {

    /** Added to the scores of keys a query must not see; softmax gives them weight 0. */
    static final float MASKED = -1e9f;

    private final int batch;
    private final int tokens;
    private final int keys;
    private final long[] positions;
    private final float[] additiveMask;

    private InputLayout(int batch, int tokens, int keys, long[] positions, float[] additiveMask) {
        this.batch = batch;
        this.tokens = tokens;
        this.keys = keys;
        this.positions = positions;
        this.additiveMask = additiveMask;
    }

    /**
     * Lays out a forward of T new tokens after {@code past} cached ones.
     *
     * @param batch B
     * @param tokens T, the new tokens per row
     * @param past the cached positions before them
     * @param mask the attention mask (B, past + T), 1 for real tokens and 0 for padding, or {@code
     *     null} for no padding
     * @return the layout
     * @throws PeftException when the mask's shape does not fit
     */
    static InputLayout of(int batch, int tokens, long past, NDArray mask) {
        int keys = Math.toIntExact(past + tokens);
        int[] attend;
        if (mask == null) {
            attend = new int[batch * keys];
            java.util.Arrays.fill(attend, 1);
        } else {
            if (!mask.getShape().equals(new Shape(batch, keys))) {
                throw new PeftException("The attention mask has shape " + mask.getShape() + ", expected (" + batch
                        + ", " + keys + "): one value per cached and new token of each row");
            }
            attend = mask.toType(DataType.INT32, false).toIntArray();
        }
        long[] positions = new long[batch * tokens];
        float[] additive = new float[batch * tokens * keys];
        for (int b = 0; b < batch; b++) {
            long seen = 0;
            for (int s = 0; s < keys; s++) {
                boolean real = attend[b * keys + s] != 0;
                seen += real ? 1 : 0;
                int t = s - (keys - tokens);
                if (t >= 0) {
                    positions[b * tokens + t] = real ? seen - 1 : 1;
                }
            }
            for (int t = 0; t < tokens; t++) {
                int query = keys - tokens + t;
                for (int s = 0; s < keys; s++) {
                    boolean visible = s <= query && attend[b * keys + s] != 0;
                    additive[(b * tokens + t) * keys + s] = visible ? 0f : MASKED;
                }
            }
        }
        return new InputLayout(batch, tokens, keys, positions, additive);
    }

    /**
     * Position ids, row-major (B, T).
     *
     * @return the positions
     */
    long[] positions() {
        return positions;
    }

    /**
     * The largest position id.
     *
     * @return the maximum
     */
    long maxPosition() {
        long max = 0;
        for (long position : positions) {
            max = Math.max(max, position);
        }
        return max;
    }

    /**
     * S, the keys each query may look at: cached plus new tokens.
     *
     * @return S
     */
    int keys() {
        return keys;
    }

    /**
     * The additive mask.
     *
     * @param manager owns the array
     * @return (B, 1, 1, T, S)
     */
    NDArray additiveMask(NDManager manager) {
        return manager.create(additiveMask, new Shape(batch, 1, 1, tokens, keys));
    }

    /**
     * Position ids as an array.
     *
     * @param manager owns the array
     * @return (B, T), int64
     */
    NDArray positionIds(NDManager manager) {
        return manager.create(positions, new Shape(batch, tokens));
    }
}
