package dev.peft4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.train.data.Batch;

/**
 * The causal language-modelling loss of a batch: the summed negative log-likelihood −Σ log
 * p(x_t | x_&lt;t) over the tokens marked as trained, the logits at position t − 1 predicting token
 * t (cross-entropy with ignored positions, as transformers' {@code ForCausalLMLoss}).
 */
final class CausalLmLoss {

    private CausalLmLoss() {}

    /**
     * The batch's inputs as arrays.
     *
     * @param batch the batch
     * @param manager owns the arrays
     * @return {input_ids (B, T), attention_mask (B, T)}
     */
    static NDArray[] inputs(Batch batch, NDManager manager) {
        Shape shape = new Shape(batch.rows(), batch.length());
        return new NDArray[] {manager.create(batch.inputIds(), shape), manager.create(batch.attentionMask(), shape)};
    }

    /**
     * Summed NLL of the trained tokens.
     *
     * @param logits (B, T, V)
     * @param batch the batch the logits are of
     * @return a scalar, differentiable
     */
    static NDArray summedNll(NDArray logits, Batch batch) {
        int rows = batch.rows();
        int length = batch.length();
        NDManager manager = logits.getManager();
        // Every position gets a target, the last one a dummy of weight 0: the log-softmax then runs on the whole
        // (contiguous) logits, not on a copy of all but the last position, and the backward has no slice to undo.
        long[] targets = new long[rows * length];
        float[] weights = new float[rows * length];
        for (int b = 0; b < rows; b++) {
            for (int t = 1; t < length; t++) {
                targets[b * length + t - 1] = batch.inputIds()[b * length + t];
                weights[b * length + t - 1] = batch.trained()[b * length + t] ? 1f : 0f;
            }
        }
        NDArray logProbabilities = logits.logSoftmax(2);
        NDArray picked = logProbabilities.get(
                new NDIndex().addAllDim(2).addPickDim(manager.create(targets, new Shape(rows, length, 1))));
        return picked.reshape(rows, length)
                .mul(manager.create(weights, new Shape(rows, length)))
                .sum()
                .neg();
    }
}
