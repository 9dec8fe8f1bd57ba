package dev.peft4j.dora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.PairList;
import dev.peft4j.lora.LowRankBranch;
import dev.peft4j.spi.AbstractAdapter;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.AdapterTarget;
import dev.peft4j.spi.CachedScalar;
import dev.peft4j.spi.InPlace;
import dev.peft4j.spi.PeftException;
import dev.peft4j.spi.TensorChecks;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;

/**
 * DoRA on one linear layer (Liu et al. 2024, §4), as Hugging Face PEFT computes it: the weight is split into
 * a per-output-row magnitude m and a direction updated by LoRA's branch, {@code W' = diag(m/n)·(W0
 * + s·B·A)} with {@code n = ‖W0 + s·B·A‖} per row.
 *
 * <p>The forward never forms W'. As the layer's first adapter without dropout (or in eval mode) it
 * turns the bias-free base output into {@code (m/n) ⊙ (x·W0ᵀ + s·(x·Aᵀ)·Bᵀ)}, the branch added by its
 * second matmul; otherwise it adds {@code (m/n − 1) ⊙ x_d·W0ᵀ + (m/n) ⊙ s·(x_d·Aᵀ)·Bᵀ}, recomputing
 * {@code x_d·W0ᵀ} from the dropped-out input when dropout is on in training. The bias is never
 * rescaled. Each forward computes the norm n without forming the (d, k) matrix {@code W0 + s·B·A}
 * (unlike PEFT): {@code n² = ‖W0‖² + 2s·Σ B ⊙ (W0·Aᵀ) + s²·Σ (B·A·Aᵀ) ⊙ B} per row, in O(d·k·r)
 * work and (d, r) temporaries, with ‖W0‖² kept while W0 is unchanged, unless the eval cache is on.
 *
 * <p>By default n is detached from the gradient (paper §4.3, PEFT). With the norm gradient on, the
 * backward also keeps the norm's intermediates ({@code s·A}, {@code W0·(s·A)ᵀ}, {@code B·(s·A)·(s·A)ᵀ}
 * and the r×r Gram matrix) alive until the backward pass: about 2·d·r + r·k + r² extra values per
 * layer.
 *
 * <p>Eval cache: when on, the first eval forward keeps m/n, a vector of d values (4·d bytes in
 * fp32) per layer, and later eval forwards skip the norm. Unlike PEFT the cache holds no (d, k)
 * {@code B·A}: neither the forward nor the norm needs that product. The cache is dropped at every training forward, merge, unmerge and {@link
 * #invalidateCaches()}; a caller that changes A, B, m or W0 by other means must call that.
 *
 * <p>It has r·(d + k) + d trainable values. Zero norms and NaN/Inf values are errors naming the
 * layer and the row, unless an epsilon is configured for the norms.
 *
 * <p>Concurrent inference forwards are safe, the eval cache included (the first forward builds it,
 * the others wait for it); training, merging, unmerging and {@link #invalidateCaches()} need
 * exclusive access.
 */
public final class DoraAdapter extends AbstractAdapter {

    /** PEFT's tensor name of the magnitude. */
    public static final String MAGNITUDE_NAME = "lora_magnitude_vector";

    private final LowRankBranch branch;
    private final Parameter magnitude;
    private final boolean normGradient;
    private final boolean evalCache;
    private final float epsilon;
    private final CachedScalar one = new CachedScalar(1f);
    private NDArray cachedScale;
    private NDArray baseSquaredNorms;
    private NDArray normedWeight;
    private NDArray mergedNorm;

    /**
     * Creates an uninitialised adapter; its magnitude is set from the base weight by {@link
     * #attachToBase}.
     *
     * @param config the LoRA settings of the direction update
     * @param target the layer
     * @param normGradient whether the gradient flows through the weight norm
     * @param evalCache whether eval forwards cache m/n
     * @param epsilon added to every row norm; 0 makes zero norms an error
     */
    public DoraAdapter(
            AdapterConfig config, AdapterTarget target, boolean normGradient, boolean evalCache, float epsilon) {
        super(config, target);
        this.branch = new LowRankBranch(config, target);
        this.normGradient = normGradient;
        this.evalCache = evalCache;
        this.epsilon = epsilon;
        branch.peftParameters().values().forEach(this::addParameter);
        magnitude = addParameter(Parameter.builder()
                .setName("lora_magnitude")
                .setType(Parameter.Type.WEIGHT)
                .optShape(new Shape(target().outFeatures()))
                .optInitializer(Initializer.ONES)
                .build());
    }

    /** Sets m to the row norms of {@code W0 + s·B·A} with the current A and B. */
    @Override
    public void attachToBase(NDArray baseWeight) {
        NDArray norms = rowNorms(baseWeight.add(branch.deltaWeight()));
        requirePositiveFinite(norms, "initialising the magnitude");
        InPlace.copy(norms.toType(magnitude.getArray().getDataType(), false), magnitude.getArray());
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray input = inputs.get(INPUT);
        NDArray baseWeight = inputs.get(BASE_WEIGHT);
        NDArray scale = scale(store, input, baseWeight, training);
        NDArray droppedInput = dropout(input, training);
        NDArray base = droppedInput == input
                ? inputs.get(BASE_OUTPUT)
                : Linear.linear(droppedInput, baseWeight).head();
        // (m/n)·(base + lora) − base, as (m/n)·lora + (m/n − 1)·base with m/n folded into B.
        NDArray scaledLora = branch.forward(store, droppedInput, training, scale);
        NDArray shift = scale.sub(one.like(scale, magnitude.getArray().getManager()));
        shift.attach(input.getManager());
        return new NDList(scaledLora.add(base.mul(shift)));
    }

    /**
     * When the layer's output so far is the bias-free base output itself (this adapter comes
     * first) and no dropout applies, the output becomes {@code (m/n) ⊙ (x·W0ᵀ + s·(x·Aᵀ)·Bᵀ)}:
     * the branch added by its second matmul ({@link LowRankBranch#forwardAddedTo}) and one scaling
     * pass, instead of forming the update and adding it. Otherwise the update is added.
     */
    @Override
    public NDArray addForward(
            ParameterStore store,
            NDList inputs,
            NDArray layerOutput,
            boolean training,
            boolean overwritable,
            PairList<String, Object> params) {
        NDArray base = inputs.get(BASE_OUTPUT);
        if (layerOutput != base || (training && config().dropout() > 0)) {
            return super.addForward(store, inputs, layerOutput, training, overwritable, params);
        }
        NDArray input = inputs.get(INPUT);
        NDArray scale = scale(store, input, inputs.get(BASE_WEIGHT), training);
        NDArray direction = branch.forwardAddedTo(base, store, input, training);
        // the sum is this pass's own array: outside training it is scaled in place
        return training ? direction.mul(scale) : direction.muli(scale);
    }

    /**
     * m/n for this pass, owned by the input's manager, or by the adapter when cached. Concurrent
     * eval forwards compute the cached scale once: the first one builds it while the others wait.
     */
    private NDArray scale(ParameterStore store, NDArray input, NDArray baseWeight, boolean training) {
        if (training) {
            // the parameters change with every step; ‖W0‖ does not
            dropCachedScale();
        } else if (evalCache) {
            synchronized (this) {
                if (cachedScale == null) {
                    cachedScale = computeScale(store, input, baseWeight, false, true);
                }
                return cachedScale;
            }
        }
        return computeScale(store, input, baseWeight, training, false);
    }

    private NDArray computeScale(
            ParameterStore store, NDArray input, NDArray baseWeight, boolean training, boolean cache) {
        NDArray m = store.getValue(magnitude, input.getDevice(), training);
        NDArray scale;
        try (NDScope ignored = new NDScope()) {
            NDArray norms = branch.rowNormsWith(
                    baseWeight, baseSquaredNorms(baseWeight), store, input.getDevice(), training, normGradient);
            if (epsilon > 0) {
                norms = norms.add(epsilon);
            }
            if (cache) {
                requirePositiveFinite(norms, "caching the weight norm");
            }
            scale = m.div(norms);
            NDScope.unregister(scale);
        }
        scale.attach(cache ? m.getManager() : input.getManager());
        return scale;
    }

    /**
     * ‖W0‖² per row, kept while the same base weight is passed in: W0 is frozen, and the layer
     * calls {@link #invalidateCaches()} whenever it changes it (merge, unmerge, restart). Costs d
     * values per layer.
     */
    private synchronized NDArray baseSquaredNorms(NDArray baseWeight) {
        if (baseSquaredNorms == null || normedWeight != baseWeight) {
            if (baseSquaredNorms != null) {
                baseSquaredNorms.close();
            }
            NDArray frozen = baseWeight.stopGradient();
            baseSquaredNorms = frozen.mul(frozen).sum(new int[] {1});
            NDScope.unregister(baseSquaredNorms);
            baseSquaredNorms.attach(magnitude.getArray().getManager());
            normedWeight = baseWeight;
        }
        return baseSquaredNorms;
    }

    private synchronized void dropCachedScale() {
        if (cachedScale != null) {
            cachedScale.close();
            cachedScale = null;
        }
    }

    @Override
    public synchronized void invalidateCaches() {
        dropCachedScale();
        branch.invalidateCaches();
        one.release();
        if (baseSquaredNorms != null) {
            baseSquaredNorms.close();
            baseSquaredNorms = null;
            normedWeight = null;
        }
    }

    /** {@code diag(m/n)·(W0 + s·B·A) − W0}. */
    @Override
    public NDArray deltaWeight(NDArray baseWeight) {
        return merged(baseWeight, null).sub(baseWeight);
    }

    /** {@code W ← diag(m/n*)·(W0 + s·B·A)}, keeping n* so that {@link #unmerge} restores W0. */
    @Override
    public NDArray merge(NDArray baseWeight) {
        NDArray[] norms = new NDArray[1];
        NDArray merged = merged(baseWeight, norms);
        if (mergedNorm != null) {
            mergedNorm.close();
        }
        mergedNorm = norms[0];
        NDScope.unregister(mergedNorm);
        mergedNorm.attach(magnitude.getArray().getManager());
        return merged;
    }

    /** {@code W0 = W / (m/n*) − s·B·A}, with the n* kept by {@link #merge}. */
    @Override
    public NDArray unmerge(NDArray mergedWeight) {
        if (mergedNorm == null) {
            throw new PeftException("DoRA adapter on layer '" + target().path() + "' is not merged");
        }
        NDArray scale = magnitude.getArray().div(mergedNorm).reshape(-1, 1);
        NDArray restored = mergedWeight.div(scale).sub(branch.deltaWeight());
        mergedNorm.close();
        mergedNorm = null;
        return restored;
    }

    private NDArray merged(NDArray baseWeight, NDArray[] normsOut) {
        NDArray direction = baseWeight.add(branch.deltaWeight());
        OptionalLong bad = TensorChecks.firstNonFinite(direction);
        if (bad.isPresent()) {
            throw rowError(bad.getAsLong() / target().inFeatures(), "W0 + s·B·A has NaN or Inf", "merging");
        }
        NDArray m = magnitude.getArray();
        OptionalLong badMagnitude = TensorChecks.firstNonFinite(m);
        if (badMagnitude.isPresent()) {
            throw rowError(badMagnitude.getAsLong(), "the magnitude is NaN or Inf", "merging");
        }
        NDArray norms = rowNorms(direction);
        requirePositiveFinite(norms, "merging");
        if (normsOut != null) {
            normsOut[0] = norms;
        }
        return direction.mul(m.div(norms).reshape(-1, 1));
    }

    /** ‖direction‖ per output row, plus the configured epsilon. */
    private NDArray rowNorms(NDArray direction) {
        NDArray norms = direction.norm(new int[] {1});
        return epsilon > 0 ? norms.add(epsilon) : norms;
    }

    private void requirePositiveFinite(NDArray norms, String action) {
        OptionalLong bad = TensorChecks.firstNotPositiveFinite(norms);
        if (bad.isPresent()) {
            float value = norms.getFloat(bad.getAsLong());
            throw rowError(bad.getAsLong(), "the row norm of W0 + s·B·A is " + value, action);
        }
    }

    private PeftException rowError(long row, String what, String action) {
        return new PeftException("DoRA layer '"
                + target().path()
                + "', row "
                + row
                + ": "
                + what
                + " while "
                + action
                + "; DoRA needs a positive, finite norm per output row"
                + (epsilon > 0 ? "" : " (set option " + DoraFactory.EPSILON + " to allow zero rows)"));
    }

    @Override
    public Map<String, Parameter> peftParameters() {
        Map<String, Parameter> parameters = new LinkedHashMap<>(branch.peftParameters());
        parameters.put(MAGNITUDE_NAME, magnitude);
        return parameters;
    }

    @Override
    public String toString() {
        return "DoraAdapter(" + target().path() + ", r=" + config().rank() + ", s=" + branch.scaling() + ")";
    }
}
