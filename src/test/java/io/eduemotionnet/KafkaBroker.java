package io.eduemotionnet;

import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real Kafka broker ({@link TestKafka}) for one test class, started before its {@code @BeforeAll}
 * methods and stopped after its {@code @AfterAll} ones:
 * {@code @RegisterExtension static final KafkaBroker KAFKA = new KafkaBroker();}. A test that runs
 * another class's test method outside JUnit's lifecycle starts and stops that class's broker itself.
 */
public final class KafkaBroker implements BeforeAllCallback, AfterAllCallback {
    private KafkaClusterTestKit kit;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        stop();
    }

    /** Starts a fresh, empty broker (stopping the one running, if any). */
    public void start() throws Exception {
        stop();
        kit = TestKafka.start();
    }

    public void stop() throws Exception {
        if (kit != null) {
            try {
                kit.close();
            } finally {
                kit = null;
            }
        }
    }

    public String bootstrapServers() {
        if (kit == null) {
            throw new IllegalStateException("the Kafka broker is not running");
        }
        return kit.bootstrapServers();
    }
}
