package dev.peft4j.experiments.memorize;

import ai.djl.training.tracker.Tracker;
import dev.peft4j.core.train.RestartableAdamW;

/**
 * One run of the experiment.
 *
 * @param method {@code fft} or an adapter method's name
 * @param operator the MoRA operator, or {@code null} for other methods
 * @param rank r, the LoRA rank that sets the parameter budget
 * @param learningRate the AdamW learning rate
 */
public record RunSpec(String method, String operator, int rank, float learningRate) {

    /** The full fine-tuning baseline's name. */
    public static final String FFT = "fft";

    /** The highest rank at which the paper advises the rotation operator; above it, sharing. */
    private static final int ROTATION_UP_TO_RANK = 32;

    /**
     * The MoRA operator the MoRA paper advises for a rank: rotation up to r = 32, sharing above.
     *
     * @param rank r
     * @return {@code rotation} or {@code sharing}
     */
    public static String advisedOperator(int rank) {
        return rank <= ROTATION_UP_TO_RANK ? "rotation" : "sharing";
    }

    /**
     * The optimizer the run trains with: AdamW at the run's fixed learning rate, no weight decay.
     *
     * @return a new optimizer; close it after the run
     */
    RestartableAdamW optimizer() {
        return RestartableAdamW.builder()
                .optLearningRateTracker(Tracker.fixed(learningRate))
                .optWeightDecays(0f)
                .build();
    }

    /**
     * How the run is labelled in tables and charts.
     *
     * @return for example {@code mora (rotation) r=8}
     */
    public String label() {
        return method + (operator == null ? "" : " (" + operator + ")") + (FFT.equals(method) ? "" : " r=" + rank);
    }
}
