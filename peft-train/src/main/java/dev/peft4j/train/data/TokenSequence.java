package dev.peft4j.train.data;

import java.util.Arrays;

/** A growing list of token ids, each marked trained or not; becomes a {@link TrainingExample}. */
final class TokenSequence {

    private long[] ids = new long[64];
    private boolean[] trained = new boolean[64];
    private int size;

    /**
     * Appends tokens, all trained or all not.
     *
     * @param pieceIds the ids to append
     * @param pieceTrained whether they are loss targets
     */
    void append(long[] pieceIds, boolean pieceTrained) {
        ensure(size + pieceIds.length);
        System.arraycopy(pieceIds, 0, ids, size, pieceIds.length);
        Arrays.fill(trained, size, size + pieceIds.length, pieceTrained);
        size += pieceIds.length;
    }

    /**
     * The number of tokens so far.
     *
     * @return the size
     */
    int size() {
        return size;
    }

    /**
     * The last token.
     *
     * @return its id
     * @throws IllegalStateException when the sequence is empty
     */
    long last() {
        if (size == 0) {
            throw new IllegalStateException("The sequence is empty");
        }
        return ids[size - 1];
    }

    /**
     * The sequence as an example, cut to at most {@code maxLength} tokens (the first ones kept), its
     * first token never trained.
     *
     * @param maxLength the most tokens to keep, at least 1
     * @return the example
     * @throws IllegalStateException when the sequence is empty
     */
    TrainingExample toExample(int maxLength) {
        if (size == 0) {
            throw new IllegalStateException("The sequence is empty");
        }
        int length = Math.min(size, maxLength);
        boolean[] targets = Arrays.copyOf(trained, length);
        targets[0] = false;
        return new TrainingExample(Arrays.copyOf(ids, length), targets);
    }

    private void ensure(int capacity) {
        if (capacity > ids.length) {
            int grown = Math.max(capacity, ids.length * 2);
            ids = Arrays.copyOf(ids, grown);
            trained = Arrays.copyOf(trained, grown);
        }
    }
}
