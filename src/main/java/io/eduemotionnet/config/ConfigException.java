package io.eduemotionnet.config;

/** A configuration value is wrong or missing; the message names the key and says what to fix. */
public class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String key, String problem) {
        super("Invalid configuration: " + key + ": " + problem);
    }
}
