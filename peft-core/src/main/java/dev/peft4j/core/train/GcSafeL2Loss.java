package dev.peft4j.core.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.loss.Loss;

/**
 * DJL's L2 loss, {@code mean(w·(label − prediction)²)} with w = 1/2 by default, with its constant
 * allocated by the engine and as few passes over the data as PyTorch's {@code mse_loss}. DJL's own
 * {@code L2Loss} multiplies by a Java number; on PyTorch that number becomes a tensor over a Java
 * buffer which the backward pass reads after the garbage collector may have freed it, so its
 * gradients can be silently wrong. Use this one with DJL's {@code Trainer}.
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
     * {@code w/n·Σ (prediction − label)²} over all n values, in two passes over the data forward (the
     * error e, then a dot product) and one backward (the gradient {@code 2w/n·e}), as PyTorch's fused
     * {@code mse_loss}. Autograd sees {@code v = e·stop(e)}, whose value is {@code Σ e²} and whose
     * gradient is e (only its first operand asks for one), and then {@code v + (v − stop(v))}, the same
     * value with twice the gradient: 2e, the gradient of {@code Σ e²}.
     *
     * @param label the targets, of the prediction's size
     * @param prediction one array
     * @return the loss, a scalar
     * @throws IllegalArgumentException if the label's size is not the prediction's
     */
    @Override
    public NDArray evaluate(NDList label, NDList prediction) {
        NDArray predicted = prediction.singletonOrThrow();
        NDArray target = label.singletonOrThrow();
        if (target.size() != predicted.size()) {
            throw new IllegalArgumentException("the label " + target.getShape() + " has " + target.size()
                    + " values, expected the prediction's " + predicted.size() + " " + predicted.getShape());
        }
        NDArray error = predicted.sub(target.reshape(predicted.getShape())).reshape(-1);
        NDArray squares = error.dot(error.stopGradient()); // Σ e², gradient e
        NDArray sum = squares.add(squares.sub(squares.stopGradient())); // Σ e², gradient 2e
        return sum.mul(sum.getManager().full(new Shape(), weight / predicted.size(), sum.getDataType()));
    }
}
