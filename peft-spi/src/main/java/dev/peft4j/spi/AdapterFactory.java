package dev.peft4j.spi;

import java.util.List;

/**
 * Creates adapters of one method; found by {@link Plugins} from its {@code META-INF/services} entry.
 *
 * <p>Implementations are final, stateless, have a public no-argument constructor and register with
 * {@code @AutoService(AdapterFactory.class)}.
 */
public interface AdapterFactory {

    /**
     * The method's registry name, for example {@code lora}, {@code dora} or {@code mora}.
     *
     * @return the name
     */
    String name();

    /**
     * Creates an uninitialised adapter for one linear layer, or one embedding when {@link
     * #supportsEmbeddings()}.
     *
     * @param config the method's configuration
     * @param target the layer
     * @param plugins the registry, for methods that look up further plugins (MoRA's operators)
     * @return the adapter
     * @throws PeftException when the configuration does not fit the layer
     */
    Adapter create(AdapterConfig config, AdapterTarget target, Plugins plugins);

    /**
     * Whether this method's adapters work on embeddings ({@link AdapterTarget#embedding()}); a
     * model refuses to put an adapter of a method that does not on an embedding.
     *
     * @return false by default
     */
    default boolean supportsEmbeddings() {
        return false;
    }

    /**
     * The options this method accepts in {@link AdapterConfig#options()}; any other key, or a value
     * of the wrong type, is refused before an adapter is made.
     *
     * @return the options; none by default
     */
    default List<OptionSpec> options() {
        return List.of();
    }

    /**
     * How this method's adapters are stored in PEFT's adapter format.
     *
     * @return the format; {@link AdapterFileFormat#DEFAULT} unless the method overrides it
     */
    default AdapterFileFormat fileFormat() {
        return AdapterFileFormat.DEFAULT;
    }

    /**
     * Checks a configuration of this method before any adapter is made or any model loads: by
     * default its option keys and value types against {@link #options()}. Methods whose options name
     * further plugins (MoRA's operator) override this to look them up too, calling the default first.
     *
     * @param config a configuration whose method is this one
     * @param plugins the registry the adapters would be made with
     * @throws PeftException naming the offending option and what was expected
     */
    default void check(AdapterConfig config, Plugins plugins) {
        OptionSpec.check(name(), options(), config.options());
    }

    /**
     * The method's own kinds of sub-plugin found in a registry, for listings such as {@code peft4j
     * list}; a method that has none returns an empty list (the default).
     *
     * @param plugins the registry
     * @return one section per kind, in the order to show them
     */
    default List<PluginSection> subPlugins(Plugins plugins) {
        return List.of();
    }
}
