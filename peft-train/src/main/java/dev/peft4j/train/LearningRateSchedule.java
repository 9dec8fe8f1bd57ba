package dev.peft4j.train;

import ai.djl.training.tracker.Tracker;
import java.util.Locale;

/**
 * The learning rate at each optimizer step, as transformers' schedulers give it: a linear warmup
 * from 0 over the first {@code warmupSteps}, then {@code constant}, {@code linear} decay to 0 at
 * the last step, or {@code cosine} decay to 0 (half a cosine period). Step k (0-based) uses
 * {@code peak · f(k)}; with warmup, the first step's rate is 0, as in transformers.
 *
 * @param peak the rate after warmup
 * @param warmupSteps steps of linear warmup, ≥ 0
 * @param totalSteps the run's optimizer steps, &gt; warmupSteps
 * @param shape the decay after warmup
 */
public record LearningRateSchedule(float peak, int warmupSteps, int totalSteps, Shape shape) implements Tracker {

    /** The decay after warmup. */
    public enum Shape {
        /** Stay at the peak. */
        CONSTANT,
        /** Decrease linearly to 0 at the last step. */
        LINEAR,
        /** Follow 0.5·(1 + cos(π·progress)) down to 0. */
        COSINE;

        /**
         * Parses {@code constant}, {@code linear} or {@code cosine}.
         *
         * @param name the name
         * @return the shape
         * @throws IllegalArgumentException naming an unknown one
         */
        public static Shape parse(String name) {
            try {
                return valueOf(name.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "Unknown schedule '" + name + "'; expected cosine, linear or constant", e);
            }
        }
    }

    /**
     * Validates the settings.
     *
     * @param peak the rate after warmup
     * @param warmupSteps steps of linear warmup, ≥ 0
     * @param totalSteps the run's optimizer steps, &gt; warmupSteps
     * @param shape the decay after warmup
     */
    public LearningRateSchedule {
        if (!(peak > 0) || Float.isInfinite(peak)) {
            throw new IllegalArgumentException("The learning rate must be > 0 and finite, got " + peak);
        }
        if (warmupSteps < 0 || totalSteps < 1 || warmupSteps >= totalSteps) {
            throw new IllegalArgumentException("Warmup steps must be ≥ 0 and fewer than the " + totalSteps
                    + " steps of the run, got " + warmupSteps);
        }
    }

    /**
     * The rate of the optimizer's update number {@code numUpdate} (1-based, as DJL counts).
     *
     * @param numUpdate the update, ≥ 1
     * @return the rate
     */
    @Override
    public float getNewValue(int numUpdate) {
        int step = numUpdate - 1;
        if (step < warmupSteps) {
            return peak * step / warmupSteps;
        }
        double progress = (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
        return switch (shape) {
            case CONSTANT -> peak;
            case LINEAR -> (float) (peak * Math.max(0, 1 - progress));
            case COSINE -> (float) (peak * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress))));
        };
    }
}
