using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CityLoop.Server.Features.Knowledge;

/// <summary>
/// A knowledge-base article (知识库): the answer the hotline reads to a caller, under a category of the catalogue, valid
/// between two dates, owned by the department answerable for its content, written by a knowledge editor.
/// </summary>
public sealed class KnowledgeArticle
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public string Title { get; set; } = "";
    /// <summary>The answer as the agent gives it on the phone; it becomes the case's answer when used.</summary>
    public string Answer { get; set; } = "";
    /// <summary>Background, legal basis, contacts: what the agent reads, not necessarily says.</summary>
    public string? Body { get; set; }
    public string? Keywords { get; set; }
    public string? CategoryCode { get; set; }
    public string OwnerDepartmentCode { get; set; } = "";
    public DateOnly ValidFrom { get; set; }
    /// <summary>Last day the article applies (inclusive); null while it has no end.</summary>
    public DateOnly? ValidTo { get; set; }
    public string CreatedBy { get; set; } = "";
    public string CreatedByName { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public string UpdatedBy { get; set; } = "";
    public string UpdatedByName { get; set; } = "";
    public DateTimeOffset UpdatedAt { get; set; }
    public int Version { get; set; }
    /// <summary>Bigram terms of title, keywords, answer and body (Features/Search), indexed on both databases.</summary>
    public string SearchTerms { get; set; } = "";

    public bool ValidOn(DateOnly day) => ValidFrom <= day && (ValidTo is null || ValidTo >= day);

    public void Index() => SearchTerms = Search.Bigrams.Terms(Title, Keywords, Answer, Body);
}

sealed class KnowledgeArticleConfiguration : IEntityTypeConfiguration<KnowledgeArticle>
{
    public void Configure(EntityTypeBuilder<KnowledgeArticle> e)
    {
        e.ToTable("knowledge_articles");
        e.HasKey(x => x.Id);
        e.Property(x => x.Version).IsConcurrencyToken();
        e.Property(x => x.Title).HasMaxLength(200);
        e.Property(x => x.Answer).HasMaxLength(2000);
        e.Property(x => x.Body).HasMaxLength(8000);
        e.Property(x => x.Keywords).HasMaxLength(200);
        e.Property(x => x.CategoryCode).HasMaxLength(64);
        e.Property(x => x.OwnerDepartmentCode).HasMaxLength(64);
        e.HasIndex(x => x.CategoryCode);
        e.HasIndex(x => x.UpdatedAt);
    }
}
