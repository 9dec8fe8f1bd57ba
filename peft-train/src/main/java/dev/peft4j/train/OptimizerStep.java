package dev.peft4j.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.peft4j.core.train.RestartableAdamW;
import dev.peft4j.models.CausalLm;
import dev.peft4j.train.data.Batch;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One optimizer step of causal-LM training over some parameters (an adapter's, or every weight
 * for full fine-tuning): forward and backward of each micro-batch, the gradients summed, clipped to
 * a global L2 norm (PyTorch's {@code clip_grad_norm_}: scaled by maxNorm / (norm + 1e-6) when
 * that is below 1), then one AdamW update. The loss is the mean NLL per trained token over all
 * micro-batches, each micro-batch's summed NLL divided by the step's trained tokens, so gradient
 * accumulation changes memory, not the result.
 */
public final class OptimizerStep {

    private final CausalLm lm;
    private final List<Parameter> parameters;
    private final RestartableAdamW optimizer;
    private final float maxGradNorm;

    /**
     * Prepares steps; the parameters are set to take gradients.
     *
     * @param lm the model
     * @param parameters the parameters to train
     * @param optimizer the optimizer
     * @param maxGradNorm the global norm gradients are clipped to, or 0 for none
     */
    public OptimizerStep(CausalLm lm, Collection<Parameter> parameters, RestartableAdamW optimizer, float maxGradNorm) {
        this.lm = lm;
        this.parameters = List.copyOf(parameters);
        this.optimizer = optimizer;
        this.maxGradNorm = maxGradNorm;
        this.parameters.forEach(parameter -> parameter.getArray().setRequiresGradient(true));
    }

    /**
     * Runs the step.
     *
     * @param micro the micro-batches
     * @param trainedTokens their trained tokens together, &gt; 0
     * @return the step's loss, mean NLL per trained token (nats)
     */
    public double run(Batch[] micro, long trainedTokens) {
        Engine engine = lm.model().getNDManager().getEngine();
        try (NDManager manager = lm.newManager()) {
            ParameterStore store = new ParameterStore(manager, false);
            // one micro-batch: its gradients are the step's; several: summed into arrays of the step's own
            boolean accumulate = micro.length > 1;
            Map<Parameter, NDArray> sums = new LinkedHashMap<>();
            if (accumulate) {
                parameters.forEach(p -> sums.put(
                        p, manager.zeros(p.getArray().getShape(), p.getArray().getDataType())));
            }
            double loss = 0;
            try (GradientCollector collector = engine.newGradientCollector()) {
                for (Batch batch : micro) {
                    try (NDScope ignored = new NDScope()) {
                        NDArray[] inputs = CausalLmLoss.inputs(batch, manager);
                        NDArray logits = lm.block().forward(store, inputs[0], inputs[1], null, true, null, false);
                        // the divisor as an array: DJL's PyTorch div(Number) wraps a buffer the GC may free before
                        // backward reads it
                        NDArray value =
                                CausalLmLoss.summedNll(logits, batch).div(manager.create((float) trainedTokens));
                        collector.backward(value);
                        loss += value.getFloat();
                        // take each micro-batch's gradient and zero it: engines differ in whether backward adds or
                        // overwrites
                        sums.forEach((parameter, sum) -> {
                            NDArray gradient = parameter.getArray().getGradient();
                            sum.addi(gradient);
                            gradient.subi(gradient);
                        });
                    }
                }
            }
            Map<Parameter, NDArray> gradients = accumulate ? sums : ownGradients(manager);
            clip(gradients.values(), manager);
            gradients.forEach(
                    (parameter, gradient) -> optimizer.update(parameter.getId(), parameter.getArray(), gradient));
            if (!accumulate) {
                // the next step starts from zero: PyTorch's backward adds to a gradient, and MXNet's leaves the
                // gradient of a parameter the graph did not reach as it was
                gradients.values().forEach(gradient -> gradient.subi(gradient));
            }
            return loss;
        }
    }

    /** The parameters' gradient arrays, the handles owned by the step's manager. */
    private Map<Parameter, NDArray> ownGradients(NDManager manager) {
        Map<Parameter, NDArray> gradients = new LinkedHashMap<>();
        for (Parameter parameter : parameters) {
            NDArray gradient = parameter.getArray().getGradient();
            gradient.attach(manager);
            gradients.put(parameter, gradient);
        }
        return gradients;
    }

    /** Scales the gradients in place to a global L2 norm of at most maxGradNorm, from one read of the norm. */
    private void clip(Collection<NDArray> gradients, NDManager manager) {
        if (maxGradNorm <= 0 || gradients.isEmpty()) {
            return;
        }
        NDList norms = new NDList(gradients.size());
        gradients.forEach(gradient -> norms.add(gradient.norm().toType(DataType.FLOAT32, false)));
        double norm = NDArrays.stack(norms).norm().getFloat();
        double coefficient = maxGradNorm / (norm + 1e-6);
        if (coefficient < 1) {
            NDArray factor = manager.full(new Shape(), (float) coefficient);
            for (NDArray gradient : gradients) {
                gradient.muli(factor.toType(gradient.getDataType(), false));
            }
        }
    }
}
