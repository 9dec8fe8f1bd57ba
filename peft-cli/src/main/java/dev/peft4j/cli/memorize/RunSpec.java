package dev.peft4j.cli.memorize;

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
record RunSpec(String method, String operator, int rank, float learningRate) {

    /** The full fine-tuning baseline's name. */
    static final String FFT = "fft";

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
    String label() {
        return method + (operator == null ? "" : " (" + operator + ")") + (FFT.equals(method) ? "" : " r=" + rank);
    }
}
