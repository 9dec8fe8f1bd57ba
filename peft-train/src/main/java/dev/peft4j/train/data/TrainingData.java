package dev.peft4j.train.data;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * What reading a JSONL file gave.
 *
 * @param examples the examples, one per non-blank line, in file order; never empty when read by
 *     {@link JsonlData#read}
 * @param truncated how many examples were longer than the maximum length and were cut
 * @param trainedTokens the loss targets of all examples together
 * @param source the file read
 */
public record TrainingData(List<TrainingExample> examples, int truncated, long trainedTokens, Path source) {

    /**
     * Validates and copies the list.
     *
     * @param examples the examples
     * @param truncated how many were cut
     * @param trainedTokens the loss targets of all examples
     * @param source the file read
     * @throws NullPointerException when the list, one of its examples or the source is null
     * @throws IllegalArgumentException when a count is negative or {@code truncated} exceeds the
     *     number of examples
     */
    public TrainingData {
        examples = List.copyOf(examples);
        Objects.requireNonNull(source, "source");
        if (truncated < 0 || truncated > examples.size()) {
            throw new IllegalArgumentException("truncated is " + truncated + "; expected 0 to " + examples.size());
        }
        if (trainedTokens < 0) {
            throw new IllegalArgumentException("trainedTokens is " + trainedTokens + "; expected at least 0");
        }
    }
}
