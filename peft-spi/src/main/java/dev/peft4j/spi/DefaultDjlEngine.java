package dev.peft4j.spi;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the first engine peft4j loads DJL's default engine, unless the user chose one ({@code
 * ai.djl.default_engine} or {@code DJL_DEFAULT_ENGINE}). DJL code that names no engine ({@code
 * Engine.getInstance()}, {@code DefaultTrainingConfig.getDevices()} behind every {@code Trainer},
 * {@code NDManager.newBaseManager()}) otherwise loads the highest-ranked engine on the class path,
 * MXNet when both are there, and loading MXNet's native library next to libtorch drops libtorch's
 * OpenMP thread count to one: every later PyTorch operation of the process ran on one core.
 */
final class DefaultDjlEngine {

    /** DJL's system property for the default engine. */
    static final String PROPERTY = "ai.djl.default_engine";
    /** DJL's environment variable for the default engine. */
    static final String VARIABLE = "DJL_DEFAULT_ENGINE";

    private static final Logger LOG = LoggerFactory.getLogger(DefaultDjlEngine.class);

    private DefaultDjlEngine() {}

    /**
     * Sets DJL's default engine to the given one when nobody chose it yet.
     *
     * @param djlEngineName the engine peft4j loaded, for example {@code PyTorch}
     */
    static synchronized void preferIfUnchosen(String djlEngineName) {
        String property = System.getProperty(PROPERTY);
        String variable = System.getenv(VARIABLE);
        if ((property == null || property.isEmpty()) && (variable == null || variable.isEmpty())) {
            System.setProperty(PROPERTY, djlEngineName);
            LOG.debug("DJL's default engine is now {}, the first engine peft4j loaded", djlEngineName);
        }
    }
}
