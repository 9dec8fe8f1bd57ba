package dev.peft4j.experiments.memorize;

/**
 * The experiment's settings shared by every run.
 *
 * @param pairs N, the number of UUID pairs
 * @param hidden the model's hidden width
 * @param steps the training steps per run
 * @param batch the pairs per step
 * @param seed the seed of the pairs, the base weights and the batch order
 */
public record MemorizeSettings(int pairs, int hidden, int steps, int batch, long seed) {

    /**
     * Validates the settings.
     *
     * @param pairs N, the number of UUID pairs
     * @param hidden the model's hidden width
     * @param steps the training steps per run
     * @param batch the pairs per step
     * @param seed the seed of the pairs, the base weights and the batch order
     * @throws IllegalArgumentException when a count is not positive
     */
    public MemorizeSettings {
        requirePositive("pairs", pairs);
        requirePositive("hidden", hidden);
        requirePositive("steps", steps);
        requirePositive("batch", batch);
    }

    private static void requirePositive(String name, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be positive, got " + value);
        }
    }
}
