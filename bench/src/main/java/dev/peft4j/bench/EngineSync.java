package dev.peft4j.bench;

import ai.djl.mxnet.jna.JnaUtils;
import ai.djl.ndarray.NDManager;

/**
 * Waits until an engine has finished the work it was given, so that a timing covers the work
 * and not only its submission. PyTorch on the CPU computes each operation before returning; MXNet
 * queues operations and computes them on its own threads.
 */
public final class EngineSync {

    private static final String MXNET = "MXNet";

    private EngineSync() {}

    /**
     * Returns once every operation queued so far on the manager's engine has finished.
     *
     * @param manager any manager of the engine
     */
    public static void await(NDManager manager) {
        if (MXNET.equals(manager.getEngine().getEngineName())) {
            JnaUtils.waitAll();
        }
    }
}
