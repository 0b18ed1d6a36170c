"""CAQH CORE real-time connectivity: envelopes in (raw X12, SOAP, MIME multipart) and out."""
