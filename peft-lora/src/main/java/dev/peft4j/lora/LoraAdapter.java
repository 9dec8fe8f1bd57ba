package dev.peft4j.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.PairList;
import dev.peft4j.spi.AbstractAdapter;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.AdapterTarget;
import dev.peft4j.spi.PeftException;
import java.util.Map;
import java.util.Optional;

/**
 * LoRA on one linear layer (docs/math.md §2): {@code h = x·W0ᵀ + b + s·(dropout(x)·Aᵀ)·Bᵀ} and {@code
 * ΔW = s·B·A}. It has r·(d + k) trainable values. With PEFT's {@code lora_bias}, B has a bias b_B (d,
 * starting at zero): the branch adds {@code s·b_B} and merging adds it to the layer's bias, d more
 * trainable values.
 *
 * <p>On an embedding E (V, D) it is LoRA on the linear map Eᵀ: {@code h = E[ids] + s·Aᵀ[ids]·Bᵀ}
 * with A (r, V) and B (D, r), and {@code ΔE = s·(B·A)ᵀ}; as in PEFT there is no dropout and no
 * {@code lora_bias} there.
 */
public final class LoraAdapter extends AbstractAdapter {

    /** PEFT's tensor name of B's bias. */
    public static final String B_BIAS_NAME = "lora_B.bias";

    private final LowRankBranch branch;
    private final Parameter bBias;

    /**
     * Creates an uninitialised adapter.
     *
     * @param config the configuration
     * @param target the layer
     * @param loraBias whether B has a bias (PEFT's {@code lora_bias})
     */
    public LoraAdapter(AdapterConfig config, AdapterTarget target, boolean loraBias) {
        super(config, target);
        if (loraBias && target.embedding()) {
            throw new PeftException("lora_bias is for linear layers; '" + target.path()
                    + "' is an embedding, which has no bias: leave lora_bias off or target linear layers only");
        }
        this.branch = new LowRankBranch(config, target);
        branch.peftParameters().values().forEach(this::addParameter);
        this.bBias = loraBias
                ? addParameter(Parameter.builder()
                        .setName("lora_B_bias")
                        .setType(Parameter.Type.BIAS)
                        .optShape(new Shape(target.outFeatures()))
                        .optInitializer(Initializer.ZEROS)
                        .build())
                : null;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(output(store, inputs.get(INPUT), training, null));
    }

    /** Adds the branch's output by its second matmul ({@link LowRankBranch#forwardAddedTo}), in no extra pass. */
    @Override
    public NDArray addForward(
            ParameterStore store,
            NDList inputs,
            NDArray layerOutput,
            boolean training,
            boolean overwritable,
            PairList<String, Object> params) {
        return output(store, inputs.get(INPUT), training, layerOutput);
    }

    /** Closes the branch's cached constants. */
    @Override
    public void invalidateCaches() {
        branch.invalidateCaches();
    }

    /** The branch's output, {@code s·(dropout(x)·Aᵀ)·Bᵀ} plus {@code s·b_B}, added to {@code addend} unless null. */
    private NDArray output(ParameterStore store, NDArray input, boolean training, NDArray addend) {
        if (target().embedding()) {
            return addend == null
                    ? branch.forwardOnIds(store, input, training)
                    : branch.forwardOnIdsAddedTo(addend, store, input, training);
        }
        NDArray dropped = dropout(input, training);
        NDArray out = addend == null
                ? branch.forward(store, dropped, training)
                : branch.forwardAddedTo(addend, store, dropped, training);
        if (bBias != null) {
            NDArray bias = store.getValue(bBias, input.getDevice(), training);
            // results join their first operand's manager: keep s·b_B in the pass's, not the parameter's
            NDArray scaledBias = branch.scaled(bias);
            scaledBias.attach(out.getManager());
            out = out.add(scaledBias);
        }
        return out;
    }

    /** LoRA's branch reads x only. */
    @Override
    public boolean usesBaseOutput() {
        return false;
    }

    @Override
    public NDArray deltaWeight(NDArray baseWeight) {
        return branch.deltaWeight();
    }

    @Override
    public Optional<NDArray> deltaBias() {
        return bBias == null ? Optional.empty() : Optional.of(bBias.getArray().mul(branch.scaling()));
    }

    @Override
    public Map<String, Parameter> peftParameters() {
        Map<String, Parameter> parameters = branch.peftParameters();
        if (bBias != null) {
            parameters.put(B_BIAS_NAME, bBias);
        }
        return parameters;
    }

    @Override
    public String toString() {
        return "LoraAdapter(" + target().path() + ", r=" + config().rank() + ", s=" + branch.scaling()
                + (bBias == null ? "" : ", lora_bias") + ")";
    }
}
