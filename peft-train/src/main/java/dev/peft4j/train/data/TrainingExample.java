package dev.peft4j.train.data;

import java.util.Arrays;
import java.util.Objects;

/**
 * One tokenized training sequence. {@code trained[t]} says whether token {@code t} is a loss target
 * (predicted from the tokens before it); {@code trained[0]} is always false, since nothing precedes
 * the first token.
 *
 * <p>The arrays are copied when the example is made; the accessors return the example's own
 * arrays, which callers must not modify.
 *
 * @param inputIds the token ids, {@code [length]}, length at least 1
 * @param trained for each token, whether it is a loss target, {@code [length]}
 */
public record TrainingExample(long[] inputIds, boolean[] trained) {

    /**
     * Validates and copies the arrays.
     *
     * @param inputIds the token ids, {@code [length]}
     * @param trained which tokens are loss targets, {@code [length]}
     * @throws NullPointerException when an array is null
     * @throws IllegalArgumentException when the arrays are empty or differ in length, or when
     *     {@code trained[0]} is true
     */
    public TrainingExample {
        Objects.requireNonNull(inputIds, "inputIds");
        Objects.requireNonNull(trained, "trained");
        if (inputIds.length == 0) {
            throw new IllegalArgumentException("A training example needs at least one token");
        }
        if (inputIds.length != trained.length) {
            throw new IllegalArgumentException("A training example has " + inputIds.length + " input ids but "
                    + trained.length + " trained flags");
        }
        if (trained[0]) {
            throw new IllegalArgumentException(
                    "The first token of a training example cannot be trained:" + " no token precedes it");
        }
        inputIds = inputIds.clone();
        trained = trained.clone();
    }

    /**
     * The number of loss targets.
     *
     * @return how many of {@link #trained()} are true
     */
    public long trainedTokens() {
        long count = 0;
        for (boolean target : trained) {
            if (target) {
                count++;
            }
        }
        return count;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof TrainingExample example
                && Arrays.equals(inputIds, example.inputIds)
                && Arrays.equals(trained, example.trained);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(inputIds) + Arrays.hashCode(trained);
    }

    @Override
    public String toString() {
        return "TrainingExample[" + inputIds.length + " tokens, " + trainedTokens() + " trained]";
    }
}
