using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CityLoop.Server.Features.Exchange;

/// <summary>
/// A message to a peer platform, written in the unit of work of the case change that causes it (so nothing is sent
/// that was not committed, and nothing committed is lost). Delivered at least once, in <see cref="Seq"/> order per
/// peer and case: a later message waits until the earlier one is delivered.
/// </summary>
public sealed class ExchangeOutboxRow
{
    public long Id { get; set; }
    public Guid MessageId { get; set; } = Guid.CreateVersion7();
    public string PeerCode { get; set; } = "";
    public Guid CaseId { get; set; }
    /// <summary>The position of this message among the messages about this case to this peer, from 1.</summary>
    public int Seq { get; set; }
    public string Kind { get; set; } = "";
    /// <summary>The message as JSON, photos by attachment id (expanded when sent).</summary>
    public string Body { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset NextAttemptAt { get; set; }
    public int Attempts { get; set; }
    public string? LastError { get; set; }
    public DateTimeOffset? DeliveredAt { get; set; }
    /// <summary>A node that claimed the row sends it until then; after that another node may take it over.</summary>
    public DateTimeOffset? LeaseUntil { get; set; }
    public string? LeasedBy { get; set; }
}

/// <summary>A message id a peer sent and this platform applied: a repeat is refused and has no second effect.</summary>
public sealed class ExchangeInboxRow
{
    public string PeerCode { get; set; } = "";
    public Guid MessageId { get; set; }
    public Guid? CaseId { get; set; }
    public string Kind { get; set; } = "";
    public int Seq { get; set; }
    public DateTimeOffset ReceivedAt { get; set; }
}

/// <summary>
/// A case here and its counterpart on a peer: <see cref="Origin"/> when this platform sent it (市派 down, 上报 up), else
/// the peer sent it and this platform handles it. Sequence numbers keep each direction in order.
/// </summary>
public sealed class ExchangeLink
{
    public string PeerCode { get; set; } = "";
    public Guid CaseId { get; set; }
    /// <summary>The case's number on the peer, once known.</summary>
    public string? RemoteNumber { get; set; }
    public bool Origin { get; set; }
    /// <summary>The last sequence number given to a message to the peer about this case.</summary>
    public int SeqOut { get; set; }
    /// <summary>The last sequence number applied from the peer about this case.</summary>
    public int SeqIn { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>The link's last success and error per peer, for the administrators' status page.</summary>
public sealed class ExchangePeerState
{
    public string Code { get; set; } = "";
    public DateTimeOffset? LastSuccessAt { get; set; }
    public string? LastError { get; set; }
    public DateTimeOffset? LastErrorAt { get; set; }
    public DateTimeOffset? LastReceivedAt { get; set; }
}

sealed class ExchangeOutboxConfiguration : IEntityTypeConfiguration<ExchangeOutboxRow>
{
    public void Configure(EntityTypeBuilder<ExchangeOutboxRow> e)
    {
        e.ToTable("exchange_outbox");
        e.HasKey(x => x.Id);
        e.HasIndex(x => x.MessageId).IsUnique();
        e.HasIndex(x => new { x.PeerCode, x.CaseId, x.Id }).HasFilter("delivered_at IS NULL");
        e.HasIndex(x => x.NextAttemptAt).HasFilter("delivered_at IS NULL");
    }
}

sealed class ExchangeInboxConfiguration : IEntityTypeConfiguration<ExchangeInboxRow>
{
    public void Configure(EntityTypeBuilder<ExchangeInboxRow> e)
    {
        e.ToTable("exchange_inbox");
        e.HasKey(x => new { x.PeerCode, x.MessageId });
    }
}

sealed class ExchangeLinkConfiguration : IEntityTypeConfiguration<ExchangeLink>
{
    public void Configure(EntityTypeBuilder<ExchangeLink> e)
    {
        e.ToTable("exchange_links");
        e.HasKey(x => new { x.PeerCode, x.CaseId });
        e.HasIndex(x => new { x.PeerCode, x.RemoteNumber }).IsUnique().HasFilter("remote_number IS NOT NULL");
    }
}

sealed class ExchangePeerStateConfiguration : IEntityTypeConfiguration<ExchangePeerState>
{
    public void Configure(EntityTypeBuilder<ExchangePeerState> e)
    {
        e.ToTable("exchange_peers");
        e.HasKey(x => x.Code);
    }
}
