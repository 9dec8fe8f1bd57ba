package dev.peft4j.core.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.ParameterTracker;
import ai.djl.training.tracker.Tracker;
import dev.peft4j.spi.InPlace;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * AdamW (decoupled weight decay) whose per-parameter state can be cleared, as ReLoRA and ReMoRA
 * need after each merge-and-restart. It computes what DJL's {@code AdamW} computes, with the
 * engine's fused update, except that the step count behind the bias correction is kept per
 * parameter, so a cleared parameter starts again at step 1. On PyTorch the fused update also sets
 * the gradient to zero.
 *
 * <p>The moments live outside any manager, as DJL's optimizers keep theirs; {@link #clearState}
 * and {@link #close()} release them.
 */
public final class RestartableAdamW extends Optimizer implements AutoCloseable {

    private final ParameterTracker learningRate;
    private final float beta1;
    private final float beta2;
    private final float epsilon;
    private final Map<StateKey, State> states = new ConcurrentHashMap<>();

    private record StateKey(String parameterId, Device device) {}

    private static final class State {
        private final NDArray mean;
        private final NDArray variance;
        private int steps;

        /**
         * Zero moments shaped like the weight, detached from its manager: DJL's MXNet parameter
         * server passes a wrapper of the weight in a manager it closes after each update, so they
         * are freed by {@code clearState} and {@link #close()} instead (as DJL's own optimizers detach theirs).
         */
        private State(NDArray weight) {
            mean = weight.zerosLike();
            variance = weight.zerosLike();
            mean.detach();
            variance.detach();
        }

        private void close() {
            mean.close();
            variance.close();
        }
    }

    private RestartableAdamW(Builder builder) {
        super(builder);
        learningRate = builder.learningRate;
        beta1 = builder.beta1;
        beta2 = builder.beta2;
        epsilon = builder.epsilon;
    }

    /**
     * Starts a builder: learning rate 0.001, β1 0.9, β2 0.999, ε 1e-8, weight decay 0.01 as
     * PyTorch's {@code AdamW}.
     *
     * @return the builder
     */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public void update(String parameterId, NDArray weight, NDArray grad) {
        State state = states.computeIfAbsent(new StateKey(parameterId, weight.getDevice()), k -> new State(weight));
        int t = ++state.steps;
        float rate = learningRate.getNewValue(parameterId, t);
        float biasCorrection = (float) (rate * Math.sqrt(1 - Math.pow(beta2, t)) / (1 - Math.pow(beta1, t)));
        if (!Float.isFinite(rate) || !Float.isFinite(biasCorrection)) {
            throw new IllegalArgumentException(
                    "AdamW learning rate is not finite for " + parameterId + " at step " + t);
        }
        weight.getNDArrayInternal()
                .adamUpdate(
                        new NDList(weight, grad, state.mean, state.variance),
                        new NDList(weight),
                        rate,
                        biasCorrection,
                        getWeightDecay(),
                        rescaleGrad,
                        clipGrad,
                        beta1,
                        beta2,
                        epsilon,
                        true,
                        true);
    }

    /**
     * Forgets a parameter's moments and step count; its next update is a first step.
     *
     * @param parameterId the parameter's id ({@code Parameter.getId()})
     */
    public void clearState(String parameterId) {
        Iterator<Map.Entry<StateKey, State>> entries = states.entrySet().iterator();
        while (entries.hasNext()) {
            Map.Entry<StateKey, State> entry = entries.next();
            if (entry.getKey().parameterId().equals(parameterId)) {
                entry.getValue().close();
                entries.remove();
            }
        }
    }

    /**
     * One parameter's optimizer state, for checkpoints.
     *
     * @param steps the updates taken
     * @param mean the first moment m (the weight's shape); a copy
     * @param variance the second moment v (the weight's shape); a copy
     */
    public record Moments(int steps, float[] mean, float[] variance) {}

    /**
     * A copy of a parameter's state on its first device.
     *
     * @param parameterId the parameter's id
     * @return its moments and step count, or empty when it has taken no step
     */
    public Optional<Moments> moments(String parameterId) {
        return states.entrySet().stream()
                .filter(e -> e.getKey().parameterId().equals(parameterId))
                .findFirst()
                .map(e -> new Moments(
                        e.getValue().steps,
                        e.getValue().mean.toFloatArray(),
                        e.getValue().variance.toFloatArray()));
    }

    /**
     * Sets a parameter's state, as {@link #moments} returned it, so that training resumes where a
     * checkpoint left off.
     *
     * @param parameterId the parameter's id
     * @param weight the parameter's array (gives shape, type and device)
     * @param moments the state
     * @throws IllegalArgumentException when the moments do not fit the weight
     */
    public void restore(String parameterId, NDArray weight, Moments moments) {
        if (moments.mean().length != weight.size() || moments.variance().length != weight.size()) {
            throw new IllegalArgumentException("Optimizer state for " + parameterId + " has " + moments.mean().length
                    + " values, the weight " + weight.size());
        }
        clearState(parameterId);
        State state = new State(weight);
        InPlace.copy(moments.mean(), state.mean);
        InPlace.copy(moments.variance(), state.variance);
        state.steps = moments.steps();
        states.put(new StateKey(parameterId, weight.getDevice()), state);
    }

    /** Releases every parameter's moments. */
    @Override
    public void close() {
        states.values().forEach(State::close);
        states.clear();
    }

    /**
     * The steps taken for a parameter since it was created or cleared, on its first device.
     *
     * @param parameterId the parameter's id
     * @return the step count, 0 when it has no state
     */
    public int steps(String parameterId) {
        return states.entrySet().stream()
                .filter(e -> e.getKey().parameterId().equals(parameterId))
                .mapToInt(e -> e.getValue().steps)
                .findFirst()
                .orElse(0);
    }

    /** Builds a {@link RestartableAdamW}. */
    public static final class Builder extends OptimizerBuilder<Builder> {
        private ParameterTracker learningRate = Tracker.fixed(0.001f);
        private float beta1 = 0.9f;
        private float beta2 = 0.999f;
        private float epsilon = 1e-8f;

        private Builder() {
            optWeightDecays(0.01f);
        }

        @Override
        protected Builder self() {
            return this;
        }

        /**
         * Sets the learning rate schedule.
         *
         * @param learningRate the tracker
         * @return this builder
         */
        public Builder optLearningRateTracker(ParameterTracker learningRate) {
            this.learningRate = learningRate;
            return this;
        }

        /**
         * Sets β1 and β2.
         *
         * @param beta1 the first moment's decay
         * @param beta2 the second moment's decay
         * @return this builder
         */
        public Builder optBetas(float beta1, float beta2) {
            this.beta1 = beta1;
            this.beta2 = beta2;
            return this;
        }

        /**
         * Sets ε.
         *
         * @param epsilon the denominator's constant
         * @return this builder
         */
        public Builder optEpsilon(float epsilon) {
            this.epsilon = epsilon;
            return this;
        }

        /**
         * Builds the optimizer.
         *
         * @return the optimizer
         */
        public RestartableAdamW build() {
            return new RestartableAdamW(this);
        }
    }
}
