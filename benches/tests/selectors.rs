//! The generator's options are Exim `log_selector` settings: the library's
//! selector inference must see exactly the selectors a config turns on (and no
//! optional one it leaves off). This checks the generator's line shapes against
//! an independent reading of §9, and the inference against known input.

use exim_log::{Evidence, Inference, Selector};
use exim_log_benches::{Config, generate};

/// Selectors the `rich` option stands for.
const RICH: &[Selector] = &[
    Selector::IncomingPort,
    Selector::IncomingInterface,
    Selector::EightBitMime,
    Selector::ReceiveTime,
    Selector::ReceivedSender,
    Selector::DeliverySize,
    Selector::SenderOnDelivery,
    Selector::ReturnPathOnDelivery,
    Selector::QueueTime,
    Selector::DeliverTime,
    Selector::QueueTimeOverall,
];

fn seen(inf: &Inference, s: Selector) -> bool {
    inf.evidence(s) == Evidence::Seen
}

#[test]
fn inference_sees_what_the_config_turns_on() {
    let mut plain = Config::with_incidents(3, 300_000);
    plain.subject = false;
    plain.received_recipients = false;
    plain.smtp_connection = false;
    let mut rich = Config::with_incidents(4, 300_000);
    rich.rich = true;
    rich.pid = true;
    rich.millisec = true;
    for config in [plain, rich] {
        let (log, _) = generate(&config);
        let inf = Inference::from_bytes(&log);
        assert_eq!(seen(&inf, Selector::Pid), config.pid, "pid");
        assert_eq!(seen(&inf, Selector::Millisec), config.millisec, "millisec");
        assert_eq!(inf.evidence(Selector::Pid) == Evidence::Off, !config.pid);
        assert!(seen(&inf, Selector::Arguments));
        assert_eq!(seen(&inf, Selector::Subject), config.subject, "subject");
        assert_eq!(
            seen(&inf, Selector::ReceivedRecipients),
            config.received_recipients,
            "received_recipients"
        );
        assert_eq!(
            seen(&inf, Selector::SmtpConnection),
            config.smtp_connection,
            "smtp_connection"
        );
        for s in RICH {
            assert_eq!(seen(&inf, *s), config.rich, "{}", s.name());
        }
        // Defaults that every config shows.
        for s in [
            Selector::TlsCipher,
            Selector::SmtpConfirmation,
            Selector::QueueRun,
            Selector::MsgId,
        ] {
            assert!(seen(&inf, s), "{}", s.name());
        }
    }
}
