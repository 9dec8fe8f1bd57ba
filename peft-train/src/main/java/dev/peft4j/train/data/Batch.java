package dev.peft4j.train.data;

import java.util.Arrays;
import java.util.Objects;

/**
 * One padded batch, row-major: element {@code (r, t)} of each array is at {@code r * length + t}.
 * Rows are padded on the right; padding has attention mask 0 and is never trained.
 *
 * <p>The arrays are copied when the batch is made; the accessors return the batch's own arrays,
 * which callers must not modify.
 *
 * @param inputIds the token ids, {@code [rows, length]}
 * @param attentionMask 1 for a real token, 0 for padding, {@code [rows, length]}
 * @param trained whether each token is a loss target (predicted from the tokens before it in its
 *     row), {@code [rows, length]}
 * @param rows the number of sequences, at least 1
 * @param length the length of the longest sequence, at least 1
 */
public record Batch(long[] inputIds, long[] attentionMask, boolean[] trained, int rows, int length) {

    /**
     * Validates and copies the arrays.
     *
     * @param inputIds the token ids, {@code [rows, length]}
     * @param attentionMask 1 for real tokens, 0 for padding, {@code [rows, length]}
     * @param trained the loss targets, {@code [rows, length]}
     * @param rows the number of sequences
     * @param length the padded length
     * @throws NullPointerException when an array is null
     * @throws IllegalArgumentException when {@code rows} or {@code length} is less than 1, an array
     *     does not hold {@code rows * length} elements, the mask holds other values than 0 and 1, or
     *     a padding position is trained
     */
    public Batch {
        Objects.requireNonNull(inputIds, "inputIds");
        Objects.requireNonNull(attentionMask, "attentionMask");
        Objects.requireNonNull(trained, "trained");
        if (rows < 1 || length < 1) {
            throw new IllegalArgumentException("A batch is " + rows + " x " + length + "; expected at least 1 x 1");
        }
        long size = (long) rows * length;
        if (inputIds.length != size || attentionMask.length != size || trained.length != size) {
            throw new IllegalArgumentException("A " + rows + " x " + length + " batch needs " + size
                    + " elements per array; found " + inputIds.length + " input ids, " + attentionMask.length
                    + " mask values and " + trained.length + " trained flags");
        }
        for (int i = 0; i < attentionMask.length; i++) {
            if (attentionMask[i] != 0 && attentionMask[i] != 1) {
                throw new IllegalArgumentException(
                        "attentionMask[" + i + "] is " + attentionMask[i] + "; expected 0 or 1");
            }
            if (trained[i] && attentionMask[i] == 0) {
                throw new IllegalArgumentException("trained[" + i + "] is true on padding");
            }
        }
        inputIds = inputIds.clone();
        attentionMask = attentionMask.clone();
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

    /**
     * The number of real (not padding) tokens.
     *
     * @return the sum of {@link #attentionMask()}
     */
    public long realTokens() {
        long count = 0;
        for (long mask : attentionMask) {
            count += mask;
        }
        return count;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Batch batch
                && rows == batch.rows
                && length == batch.length
                && Arrays.equals(inputIds, batch.inputIds)
                && Arrays.equals(attentionMask, batch.attentionMask)
                && Arrays.equals(trained, batch.trained);
    }

    @Override
    public int hashCode() {
        return Objects.hash(
                Arrays.hashCode(inputIds), Arrays.hashCode(attentionMask), Arrays.hashCode(trained), rows, length);
    }

    @Override
    public String toString() {
        return "Batch[" + rows + " x " + length + ", " + realTokens() + " real tokens, " + trainedTokens()
                + " trained]";
    }
}
