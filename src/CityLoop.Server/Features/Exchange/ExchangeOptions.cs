namespace CityLoop.Server.Features.Exchange;

/// <summary>Section "Exchange": the peer platforms this one exchanges cases with (三级联网) and the delivery rhythm.</summary>
public sealed class ExchangeOptions
{
    public List<PeerOptions> Peers { get; set; } = [];
    /// <summary>How often each node looks for messages due (0: never, e.g. a test that delivers by hand).</summary>
    public double DeliverySeconds { get; set; } = 2;
    /// <summary>The first retry waits this long; each further one doubles, up to <see cref="MaxBackoffSeconds"/>.</summary>
    public double FirstRetrySeconds { get; set; } = 5;
    public double MaxBackoffSeconds { get; set; } = 900;
    /// <summary>How long a node holds a claimed message before another node may send it.</summary>
    public double LeaseSeconds { get; set; } = 60;
    public double TimeoutSeconds { get; set; } = 30;
    /// <summary>A request signed further than this from our clock is refused (replay window).</summary>
    public double ClockSkewSeconds { get; set; } = 300;
    /// <summary>
    /// How long a received message id is remembered. Older ids are purged: by then the case's link refuses a replay by
    /// its sequence number, and the signature window refuses an old request.
    /// </summary>
    public double InboxDays { get; set; } = 30;

    public PeerOptions? Find(string? code) => code is null ? null : Peers.FirstOrDefault(p => p.Code == code);

    /// <summary>The lower peer whose stand-in department on this platform is this one.</summary>
    public PeerOptions? LowerByDepartment(string? department) =>
        department is null ? null : Peers.FirstOrDefault(p => p.IsLower && p.DepartmentCode == department);

    public IEnumerable<string> Problems()
    {
        foreach (var p in Peers)
        {
            if (string.IsNullOrWhiteSpace(p.Code)) yield return "a peer without a code";
            else if (Peers.Count(x => x.Code == p.Code) > 1) yield return $"peer {p.Code} twice";
            if (!Uri.TryCreate(p.BaseUrl, UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https")) yield return $"peer {p.Code}: BaseUrl is not an http(s) URL";
            if (string.IsNullOrEmpty(p.Secret) || p.Secret.Length < 16) yield return $"peer {p.Code}: Secret has fewer than 16 characters";
            if (!string.IsNullOrEmpty(p.PreviousSecret) && p.PreviousSecret.Length < 16) yield return $"peer {p.Code}: PreviousSecret has fewer than 16 characters";
            if (p.Role is not ("upper" or "lower")) yield return $"peer {p.Code}: Role is 'upper' or 'lower'";
        }
    }
}

public sealed class PeerOptions
{
    /// <summary>The peer's platform code (the prefix of its case numbers), e.g. 451200 for the city above 451202.</summary>
    public string Code { get; set; } = "";
    public string? Name { get; set; }
    /// <summary>Where the peer serves CityLoop, e.g. https://city.example.org (its endpoint is /api/v1/exchange/messages).</summary>
    public string BaseUrl { get; set; } = "";
    /// <summary>The shared HMAC secret; from configuration or the environment (Exchange__Peers__0__Secret), never logged or shown.</summary>
    public string Secret { get; set; } = "";
    /// <summary>
    /// During a rotation, the secret being replaced: messages signed with it are still believed, while everything this
    /// platform sends is signed with <see cref="Secret"/>. Rotate by giving the receiving side the new secret as
    /// <see cref="Secret"/> and the old as PreviousSecret, then the sending side the new one, then remove PreviousSecret.
    /// </summary>
    public string? PreviousSecret { get; set; }
    /// <summary>"upper": the peer dispatches cases down to us; "lower": we dispatch cases down to it.</summary>
    public string Role { get; set; } = "";
    /// <summary>For a lower peer: the department on this platform that stands for it (dispatch to it sends the case down); its code by default.</summary>
    public string? Department { get; set; }

    public bool IsLower => Role == "lower";
    /// <summary>The secrets a received message may be signed with: the current one, and the previous during a rotation.</summary>
    public IEnumerable<string> AcceptedSecrets => string.IsNullOrEmpty(PreviousSecret) ? [Secret] : [Secret, PreviousSecret];
    public bool IsUpper => Role == "upper";
    public string DepartmentCode => string.IsNullOrWhiteSpace(Department) ? Code : Department;
    public string DisplayName => string.IsNullOrWhiteSpace(Name) ? Code : Name;
}
