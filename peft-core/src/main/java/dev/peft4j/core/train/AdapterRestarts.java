package dev.peft4j.core.train;

import ai.djl.nn.Parameter;
import dev.peft4j.core.PeftModel;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Periodic merge-and-restart during training: ReMoRA (MoRA paper §5.3) and ReLoRA. Every N
 * optimizer steps the adapter is merged into the base weights, restarted at a zero update (MoRA
 * also moves to its next sharing type) and its optimizer state is cleared.
 */
public final class AdapterRestarts {

    private static final Logger LOG = LoggerFactory.getLogger(AdapterRestarts.class);

    private final PeftModel model;
    private final String adapterName;
    private final int everySteps;
    private final RestartableAdamW optimizer;
    private int restarts;

    /**
     * Creates the schedule.
     *
     * @param model the model
     * @param adapterName the adapter to restart
     * @param everySteps N, the steps between restarts (positive)
     * @param optimizer the optimizer whose state is cleared
     */
    public AdapterRestarts(PeftModel model, String adapterName, int everySteps, RestartableAdamW optimizer) {
        if (everySteps <= 0) {
            throw new IllegalArgumentException("Restart interval must be positive, got " + everySteps);
        }
        this.model = model;
        this.adapterName = adapterName;
        this.everySteps = everySteps;
        this.optimizer = optimizer;
    }

    /**
     * Call after each optimizer step; restarts when the step is a multiple of N.
     *
     * @param step the 1-based number of the step just taken
     * @return whether it restarted
     */
    public boolean afterStep(long step) {
        if (step % everySteps != 0) {
            return false;
        }
        List<Parameter> parameters = model.mergeAndRestart(adapterName);
        parameters.forEach(parameter -> optimizer.clearState(parameter.getId()));
        restarts++;
        LOG.debug("Step {}: merged and restarted adapter '{}' ({} restarts)", step, adapterName, restarts);
        return true;
    }

    /**
     * How many restarts happened.
     *
     * @return the count
     */
    public int restarts() {
        return restarts;
    }
}
