package dev.peft4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.List;

/**
 * How well a model predicts text: the mean negative log-likelihood per predicted token, −(1/N)·Σ
 * log p(x_t | x_&lt;t), in nats, and the perplexity exp of it. Each sequence of n tokens predicts
 * n − 1 of them (its first token is given), as transformers' causal-LM loss counts.
 */
public final class Perplexity {

    /**
     * A score.
     *
     * @param tokens N, the tokens predicted
     * @param meanNll the mean negative log-likelihood per predicted token, in nats
     */
    public record Score(long tokens, double meanNll) {

        /**
         * exp(meanNll).
         *
         * @return the perplexity
         */
        public double perplexity() {
            return Math.exp(meanNll);
        }
    }

    private final CausalLm lm;
    private final int batchSize;

    /**
     * A scorer.
     *
     * @param lm the model
     * @param batchSize sequences per forward, ≥ 1
     */
    public Perplexity(CausalLm lm, int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be ≥ 1, got " + batchSize);
        }
        this.lm = lm;
        this.batchSize = batchSize;
    }

    /**
     * Scores token sequences together.
     *
     * @param sequences the sequences; those shorter than two tokens predict nothing
     * @return the score over all of them
     * @throws IllegalArgumentException when no sequence has two tokens
     */
    public Score score(List<long[]> sequences) {
        double total = 0;
        long tokens = 0;
        try (NDManager manager = lm.newManager()) {
            ParameterStore store = new ParameterStore(manager, false);
            for (int start = 0; start < sequences.size(); start += batchSize) {
                List<long[]> batch = sequences.subList(start, Math.min(sequences.size(), start + batchSize)).stream()
                        .filter(sequence -> sequence.length >= 2)
                        .toList();
                if (!batch.isEmpty()) {
                    total += negativeLogLikelihood(store, manager, batch);
                    tokens += batch.stream()
                            .mapToLong(sequence -> sequence.length - 1)
                            .sum();
                }
            }
        }
        if (tokens == 0) {
            throw new IllegalArgumentException("Nothing to score: every sequence has fewer than two tokens");
        }
        return new Score(tokens, total / tokens);
    }

    /** The summed NLL of a right-padded batch; the batch's arrays are closed. */
    private double negativeLogLikelihood(ParameterStore store, NDManager manager, List<long[]> batch) {
        int rows = batch.size();
        int length = batch.stream().mapToInt(sequence -> sequence.length).max().orElseThrow();
        long[] ids = new long[rows * length];
        long[] mask = new long[rows * length];
        for (int b = 0; b < rows; b++) {
            long[] sequence = batch.get(b);
            System.arraycopy(sequence, 0, ids, b * length, sequence.length);
            java.util.Arrays.fill(mask, b * length, b * length + sequence.length, 1);
        }
        try (NDScope ignored = new NDScope()) {
            NDArray input = manager.create(ids, new Shape(rows, length));
            NDArray attention = manager.create(mask, new Shape(rows, length));
            NDArray logits = lm.block().forward(store, input, attention, null, false, null, false);
            NDArray predicted = logits.get(":, :-1, :").logSoftmax(2);
            NDArray targets = input.get(":, 1:").reshape(rows, length - 1, 1);
            float[] logProbabilities = predicted
                    .get(new NDIndex().addAllDim(2).addPickDim(targets))
                    .toFloatArray();
            double sum = 0;
            for (int b = 0; b < rows; b++) {
                for (int t = 0; t < batch.get(b).length - 1; t++) {
                    sum -= logProbabilities[b * (length - 1) + t];
                }
            }
            return sum;
        }
    }
}
