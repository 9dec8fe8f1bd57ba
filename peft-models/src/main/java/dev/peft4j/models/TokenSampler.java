package dev.peft4j.models;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Chooses the next token from one row of logits: the arg max, or a sample after transformers'
 * warpers in their order (temperature, top-k, top-p).
 */
final class TokenSampler {

    private final GenerationConfig config;
    private final SplittableRandom random;

    TokenSampler(GenerationConfig config) {
        this.config = config;
        this.random = new SplittableRandom(config.seed());
    }

    /**
     * The next token.
     *
     * @param logits one row's logits (V)
     * @return the token id
     */
    int next(float[] logits) {
        if (!config.sampling()) {
            return argMax(logits);
        }
        double[] scores = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            scores[i] = logits[i] / config.temperature();
        }
        if (config.topK() > 0 && config.topK() < scores.length) {
            double[] sorted = scores.clone();
            Arrays.sort(sorted);
            double kth = sorted[sorted.length - config.topK()];
            for (int i = 0; i < scores.length; i++) {
                if (scores[i] < kth) {
                    scores[i] = Double.NEGATIVE_INFINITY;
                }
            }
        }
        double[] probabilities = softmax(scores);
        if (config.topP() < 1) {
            keepNucleus(probabilities, config.topP());
        }
        return sample(probabilities);
    }

    private static int argMax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    private static double[] softmax(double[] scores) {
        double max = Double.NEGATIVE_INFINITY;
        for (double score : scores) {
            max = Math.max(max, score);
        }
        double[] probabilities = new double[scores.length];
        double sum = 0;
        for (int i = 0; i < scores.length; i++) {
            probabilities[i] = Math.exp(scores[i] - max);
            sum += probabilities[i];
        }
        for (int i = 0; i < scores.length; i++) {
            probabilities[i] /= sum;
        }
        return probabilities;
    }

    /**
     * Zeroes the least likely tokens whose total probability is at most 1 − p, keeping at least
     * the most likely one, as transformers' {@code TopPLogitsWarper} does; renormalises.
     */
    private static void keepNucleus(double[] probabilities, double p) {
        Integer[] order = new Integer[probabilities.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(probabilities[a], probabilities[b]));
        double cumulative = 0;
        double kept = 0;
        for (int rank = 0; rank < order.length; rank++) {
            int token = order[rank];
            cumulative += probabilities[token];
            if (cumulative <= 1 - p && rank < order.length - 1) {
                probabilities[token] = 0;
            } else {
                kept += probabilities[token];
            }
        }
        for (int i = 0; i < probabilities.length; i++) {
            probabilities[i] /= kept;
        }
    }

    private int sample(double[] probabilities) {
        double u = random.nextDouble();
        double cumulative = 0;
        int last = 0;
        for (int i = 0; i < probabilities.length; i++) {
            if (probabilities[i] > 0) {
                cumulative += probabilities[i];
                last = i;
                if (u < cumulative) {
                    return i;
                }
            }
        }
        return last;
    }
}
