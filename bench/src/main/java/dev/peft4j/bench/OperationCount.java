package dev.peft4j.bench;

/**
 * The native operations one method issues, counted as NDArrays created (see {@link
 * ArrayCounter}), and the memory its train step holds at its peak.
 *
 * @param method the method
 * @param evalForward arrays created by one eval forward of the layer
 * @param trainStep arrays created by one train step, or {@code null} for {@code base}
 * @param trainStepPeakBytes the most bytes held at once by the model's arrays during a train step
 *     (weights, optimizer state, batch, activations and temporaries that are NDArrays), or {@code
 *     null} for {@code base}
 */
public record OperationCount(String method, int evalForward, Integer trainStep, Long trainStepPeakBytes) {}
