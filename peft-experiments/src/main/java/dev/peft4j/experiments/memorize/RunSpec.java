package dev.peft4j.experiments.memorize;

import ai.djl.training.tracker.Tracker;
import dev.peft4j.core.train.RestartableAdamW;
import dev.peft4j.spi.AdapterConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

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

    /** The methods compared by default, as in the MoRA paper's memorization table. */
    public static final List<String> DEFAULT_METHODS = List.of(FFT, "lora", "dora", "mora");

    /** The method whose runs carry an operator. */
    private static final String MORA = "mora";

    /** The highest rank at which the paper advises the rotation operator; above it, sharing. */
    private static final int ROTATION_UP_TO_RANK = 32;

    /**
     * The runs of an experiment: {@code fft} once, at the first rank, and every other method at
     * every rank; MoRA with the given operator or, when it is {@code null}, the one the paper advises
     * for the rank (rotation up to r = 32, sharing above).
     *
     * @param methods the methods, in order
     * @param ranks the ranks, in order; at least one
     * @param learningRate the learning rate of a method
     * @param operator MoRA's operator, or {@code null} for the advised one
     * @return the runs, method by method and rank by rank
     * @throws IllegalArgumentException when no rank is given
     */
    public static List<RunSpec> plan(
            List<String> methods, List<Integer> ranks, Function<String, Float> learningRate, String operator) {
        if (ranks.isEmpty()) {
            throw new IllegalArgumentException("An experiment needs at least one rank");
        }
        List<RunSpec> runs = new ArrayList<>();
        for (String method : methods) {
            float rate = learningRate.apply(method);
            if (FFT.equals(method)) {
                runs.add(new RunSpec(method, null, ranks.get(0), rate));
                continue;
            }
            for (int rank : ranks) {
                runs.add(new RunSpec(method, MORA.equals(method) ? operatorFor(rank, operator) : null, rank, rate));
            }
        }
        return runs;
    }

    private static String operatorFor(int rank, String operator) {
        if (operator != null) {
            return operator;
        }
        return rank <= ROTATION_UP_TO_RANK ? "rotation" : "sharing";
    }

    /**
     * The run's adapter configuration before the budget is balanced: rank r, alpha 2r, and for MoRA
     * the run's operator with {@code generalized=true}, so that layers with k ≤ r̂ (small widths,
     * narrow key/value projections) stay in its domain.
     *
     * @return the configuration
     * @throws IllegalStateException for the {@code fft} baseline, which has no adapter
     */
    public AdapterConfig adapterConfig() {
        if (FFT.equals(method)) {
            throw new IllegalStateException("The " + FFT + " baseline has no adapter configuration");
        }
        AdapterConfig.Builder builder =
                AdapterConfig.builder(method).setRank(rank).optAlpha(2f * rank);
        if (operator != null) {
            builder.optOption("operator", operator).optOption("generalized", "true");
        }
        return builder.build();
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
