package dev.peft4j.spi;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.Map;
import java.util.Optional;

/**
 * A trainable adapter for one linear layer (or embedding), as a DJL {@link Block}.
 *
 * <p>Its forward takes {@code NDList(x, baseOutput, baseWeight)}: the layer input x of shape
 * (…, k), the frozen layer's output without bias {@code x·W0ᵀ} of shape (…, d) ({@code null} for
 * adapters whose {@link #usesBaseOutput()} is false), and W0 of shape (d, k). It returns the single array (…, d) that the layer adds to {@code x·W0ᵀ + b}, through {@link #addForward}. With
 * dropout off, {@code x·W0ᵀ + forward(x) == x·merge(W0)ᵀ} for every input.
 *
 * <p>On an embedding with table E (V, D) ({@link AdapterTarget#embedding()}, only for methods whose
 * {@link AdapterFactory#supportsEmbeddings()} is true) x is the one-hot form of the token ids, so
 * the first input is the ids themselves (…), integer; the base output is {@code E[ids]} (…, D) and
 * W0 is {@code Eᵀ} (D, V). The adapter returns (…, D) to add to {@code E[ids]}.
 *
 * <p>Adapters are not thread-safe for training; concurrent inference forwards are safe as long as
 * nobody merges, unmerges or trains at the same time.
 *
 * <p>The layer calls {@link #deltaWeight}, {@link #merge}, {@link #unmerge}, {@link
 * #attachToBase} and {@link #restart} inside an {@link
 * ai.djl.ndarray.NDScope}: temporaries are closed afterwards, so an array the adapter keeps across
 * calls must be taken out of the scope with {@link ai.djl.ndarray.NDScope#unregister}.
 */
public interface Adapter extends Block {

    /** Position of x in the forward's inputs. */
    int INPUT = 0;
    /** Position of the base output {@code x·W0ᵀ} (no bias) in the forward's inputs. */
    int BASE_OUTPUT = 1;
    /** Position of the base weight W0 (d, k) in the forward's inputs. */
    int BASE_WEIGHT = 2;

    /**
     * Packs the forward's inputs in their documented order.
     *
     * @param input x (…, k)
     * @param baseOutput {@code x·W0ᵀ} without bias (…, d), or {@code null} when no adapter reads it
     * @param baseWeight W0 (d, k)
     * @return the inputs
     */
    static NDList inputs(NDArray input, NDArray baseOutput, NDArray baseWeight) {
        return new NDList(input, baseOutput, baseWeight);
    }

    /**
     * Whether the forward reads the base output {@code x·W0ᵀ} ({@link #BASE_OUTPUT}). A layer whose
     * active adapters all return false computes {@code x·W0ᵀ + b} in one fused operation and passes
     * {@code null} in that slot, as LoRA's and MoRA's forwards never read it; DoRA's does.
     *
     * @return true by default
     */
    default boolean usesBaseOutput() {
        return true;
    }

    /**
     * The layer's running output with this adapter's output added, {@code layerOutput +
     * forward(inputs)}: what the layer calls, so that a method can fold the addition into its own
     * last operation (LoRA's second matmul becomes one multiply-add) and save a pass over the (…, d)
     * output. The default adds {@link #forward}'s output, in place when allowed.
     *
     * @param store the parameter store
     * @param inputs as for {@link #forward}: x, the base output and W0
     * @param layerOutput the layer's output so far (…, d): the base output, with the bias unless an
     *     adapter {@link #usesBaseOutput()}, plus earlier adapters' outputs; it may be the base output
     *     itself ({@link #BASE_OUTPUT}, identical)
     * @param training whether this is a training pass
     * @param overwritable whether {@code layerOutput} may be overwritten and returned: the layer owns
     *     it and nothing reads it later; never in training
     * @param params DJL's forward parameters
     * @return (…, d)
     */
    default NDArray addForward(
            ParameterStore store,
            NDList inputs,
            NDArray layerOutput,
            boolean training,
            boolean overwritable,
            PairList<String, Object> params) {
        NDArray update = forward(store, inputs, training, params).head();
        return overwritable ? layerOutput.addi(update) : layerOutput.add(update);
    }

    /**
     * The layer this adapter was created for.
     *
     * @return the target
     */
    AdapterTarget target();

    /**
     * The configuration it was created with.
     *
     * @return the configuration
     */
    AdapterConfig config();

    /**
     * Called once after the adapter is initialised on its layer, with the layer's base weight.
     * Methods that derive starting values from W0 (DoRA's magnitude) set them here; the default
     * does nothing.
     *
     * @param baseWeight W0 (d, k)
     */
    default void attachToBase(NDArray baseWeight) {}

    /**
     * Drops anything the adapter caches from its parameters or the base weight (DoRA's eval-mode
     * weight norm, MoRA's folded rotation blocks). The layer calls it on merge and unmerge;
     * callers that change parameters by other means (loading values, an optimizer step after an
     * eval forward) call it too. The default does nothing.
     */
    default void invalidateCaches() {}

    /**
     * Starts a new update cycle after the current update was merged into the base weight
     * (ReLoRA, ReMoRA: MoRA paper §5.3): the adapter returns to its zero update and advances
     * whatever scheme it cycles through (MoRA's sharing type). The caller clears the optimizer
     * state of {@link #peftParameters()}.
     *
     * @throws PeftException when the method does not support restarts (the default)
     */
    default void restart() {
        throw new PeftException(
                "Adapter " + getClass().getName() + " on layer '" + target().path() + "' does not support restarts");
    }

    /**
     * The weight-space update ΔW (d, k) such that the merged layer computes what the unmerged one
     * did. Never used by the forward pass.
     *
     * @param baseWeight W0 (d, k); methods whose update does not depend on it ignore it
     * @return ΔW, a new array owned by the caller
     */
    NDArray deltaWeight(NDArray baseWeight);

    /**
     * The merged weight {@code W0 + ΔW}.
     *
     * @param baseWeight W0 (d, k)
     * @return the merged weight, a new array owned by the caller
     */
    default NDArray merge(NDArray baseWeight) {
        return baseWeight.add(deltaWeight(baseWeight));
    }

    /**
     * The update Δb (d) the merged layer adds to its bias, for methods with a trainable bias term
     * (LoRA's {@code lora_bias}: {@code s·b_B}); merging needs the layer to have a bias.
     *
     * @return Δb, or empty when the method leaves the bias alone (the default)
     */
    default Optional<NDArray> deltaBias() {
        return Optional.empty();
    }

    /**
     * Recovers W0 from a weight produced by {@link #merge}. The default subtracts ΔW and is right
     * for every method whose ΔW does not depend on W0; others override it.
     *
     * @param mergedWeight the merged weight (d, k)
     * @return W0, a new array owned by the caller
     */
    default NDArray unmerge(NDArray mergedWeight) {
        return mergedWeight.sub(deltaWeight(mergedWeight));
    }

    /**
     * The method options that recreate this adapter as it is now, for saving: its configuration's
     * options by default; MoRA reports the operator that ReMoRA moved it to.
     *
     * @return the options
     */
    default Map<String, String> currentOptions() {
        return config().options();
    }

    /**
     * The trainable parameters by their Hugging Face PEFT tensor name relative to the layer, for
     * example {@code lora_A.weight}.
     *
     * @return the parameters, in a stable order
     */
    Map<String, Parameter> peftParameters();

    /**
     * How many trainable values the adapter has.
     *
     * @return the count
     */
    default long trainableParameterCount() {
        return peftParameters().values().stream()
                .mapToLong(p -> p.getShape().size())
                .sum();
    }
}
