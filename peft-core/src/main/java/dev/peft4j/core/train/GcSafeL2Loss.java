package dev.peft4j.core.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.loss.Loss;

/**
 * DJL's L2 loss, {@code mean(w·(label − prediction)²)} with w = 1/2 by default, with its constant
 * allocated by the engine and fewer passes over the data. DJL's own {@code L2Loss} multiplies by a
 * Java number; on PyTorch that number becomes a tensor over a Java buffer which the backward pass
 * reads after the garbage collector may have freed it, so its gradients can be silently wrong. Use
 * this one with DJL's {@code Trainer}.
 */
public final class GcSafeL2Loss extends Loss {

    private final float weight;

    /** The L2 loss with weight 1/2, named {@code L2Loss} as DJL's. */
    public GcSafeL2Loss() {
        this("L2Loss", 0.5f);
    }

    /**
     * An L2 loss with a given weight.
     *
     * @param name the loss's name in DJL's training listeners
     * @param weight w, multiplied into every squared error
     */
    public GcSafeL2Loss(String name, float weight) {
        super(name);
        this.weight = weight;
    }

    /**
     * {@code w/n·Σ (prediction − label)²} over all n values, in three passes over the data forward
     * and three backward (about a third of DJL's square, weight and mean with their gradients).
     *
     * @param label the targets, of the prediction's size
     * @param prediction one array
     * @return the loss, a scalar
     */
    @Override
    public NDArray evaluate(NDList label, NDList prediction) {
        NDArray predicted = prediction.singletonOrThrow();
        NDArray difference = predicted.sub(label.singletonOrThrow().reshape(predicted.getShape()));
        NDArray sum = difference.mul(difference).sum();
        return sum.mul(sum.getManager().full(new Shape(), weight / predicted.size(), sum.getDataType()));
    }
}
